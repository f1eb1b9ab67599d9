import { parseConfig } from '@live-im/config';
import { HealthModule } from '@live-im/health';
import { freePorts } from '@live-im/testing';
import { type INestApplication, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeManagerEnv } from '../manager-config';
import { DASHBOARD_CSP, DASHBOARD_NOT_BUILT, mountDashboard } from './dashboard-page';

@Module({ imports: [HealthModule.forRoot({ readiness: [] })] })
class ProbesModule {}

const INDEX_HTML = '<!doctype html><title>cluster</title><script type="module" src="./assets/index-abc123.js"></script>';
const BUNDLE = 'console.log("cluster")';

describe('mountDashboard', () => {
  const dirs: string[] = [];
  const apps: INestApplication[] = [];

  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    dirs.push(dir);
    return dir;
  }

  function builtPage(): string {
    const dir = tempDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), BUNDLE);
    writeFileSync(join(dir, 'assets', '.secret'), 'hidden');
    writeFileSync(join(dir, 'cluster'), 'shadow');
    return dir;
  }

  async function serve(distDir: string): Promise<{ base: string; warnings: string[] }> {
    const warnings: string[] = [];
    const app = await NestFactory.create(ProbesModule, { logger: false });
    apps.push(app);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    try {
      mountDashboard(app, parseConfig(NodeManagerEnv, { DASHBOARD_DIST_DIR: distDir }));
    } finally {
      warn.mockRestore();
    }
    const [port] = await freePorts(1);
    await app.listen(port as number, '127.0.0.1');
    return { base: `http://127.0.0.1:${port}`, warnings };
  }

  describe('with a built page', () => {
    let base: string;
    let warnings: string[];

    beforeAll(async () => {
      ({ base, warnings } = await serve(builtPage()));
    });

    it('redirects /dashboard to dashboard/ (relative), keeping nothing else', async () => {
      const res = await fetch(`${base}/dashboard`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('dashboard/');
    });

    it('serves index.html at /dashboard/ and /dashboard/index.html, never cached, with a CSP', async () => {
      for (const path of ['/dashboard/', '/dashboard/index.html', '/dashboard/?x=1']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/html');
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
        expect(await res.text()).toBe(INDEX_HTML);
      }
      expect(warnings).toEqual([]);
    });

    it('serves the hashed assets cached for a year; no dotfiles, nothing else of the folder', async () => {
      const res = await fetch(`${base}/dashboard/assets/index-abc123.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).toBe(BUNDLE);
      expect((await fetch(`${base}/dashboard/assets/.secret`)).status).not.toBe(200);
      expect((await fetch(`${base}/dashboard/assets/missing.js`)).status).toBe(404);
      expect((await fetch(`${base}/dashboard/cluster`)).status).toBe(404);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    });
  });

  describe('without a built page', () => {
    it('warns once and answers 503 in plain text naming the build; the manager keeps serving', async () => {
      const dir = tempDir();
      const { base, warnings } = await serve(dir);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(join(dir, 'index.html'));
      for (let i = 0; i < 2; i += 1) {
        const res = await fetch(`${base}/dashboard/`);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toContain('text/plain');
        expect(await res.text()).toBe(DASHBOARD_NOT_BUILT);
      }
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    });

    it('serves the page once it is built, without a restart', async () => {
      const dir = tempDir();
      const { base } = await serve(dir);
      expect((await fetch(`${base}/dashboard/`)).status).toBe(503);
      writeFileSync(join(dir, 'index.html'), INDEX_HTML);
      const res = await fetch(`${base}/dashboard/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX_HTML);
    });
  });
});
