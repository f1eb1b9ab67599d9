import { parseConfig } from '@live-im/config';
import { HealthModule } from '@live-im/health';
import { freePorts } from '@live-im/testing';
import { type INestApplication, Logger, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayEnv } from '../config';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { mountWebPage, WEB_PAGE_CSP } from './web-page';

/** The routes the page must never shadow: probes and metrics (Nest), and the API's 404 shape. */
@Module({
  imports: [HealthModule.forRoot({ readiness: [] })],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
class ProbesModule {}

const INDEX_HTML =
  '<!doctype html><title>live</title><script type="module" src="./assets/index-abc123.js"></script>';
const BUNDLE = 'console.log("live room")';

describe('mountWebPage', () => {
  const dirs: string[] = [];
  const apps: INestApplication[] = [];

  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'web-page-'));
    dirs.push(dir);
    return dir;
  }

  /** A built page, plus files named like the gateway's own routes that must stay unreachable. */
  function builtPage(): string {
    const dir = tempDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), BUNDLE);
    writeFileSync(join(dir, 'assets', '.secret'), 'hidden');
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'api', 'gifts'), 'shadow');
    writeFileSync(join(dir, 'metrics'), 'shadow');
    return dir;
  }

  async function serve(webDistDir: string): Promise<{ base: string; warnings: string[] }> {
    const warnings: string[] = [];
    const app = await NestFactory.create(ProbesModule, { logger: false });
    apps.push(app);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    try {
      mountWebPage(
        app,
        parseConfig(GatewayEnv, { API_KEY: 'spec-api-key-0123456789', WEB_DIST_DIR: webDistDir }),
      );
    } finally {
      warn.mockRestore();
    }
    const [port] = await freePorts(1);
    await app.listen(port as number, '127.0.0.1');
    return { base: `http://127.0.0.1:${port}`, warnings };
  }

  it('defaults WEB_DIST_DIR to dist/apps/web under the working directory, made absolute', () => {
    const key = { API_KEY: 'spec-api-key-0123456789' };
    expect(parseConfig(GatewayEnv, key).WEB_DIST_DIR).toBe(join(process.cwd(), 'dist/apps/web'));
    expect(parseConfig(GatewayEnv, { ...key, WEB_DIST_DIR: 'some/where' }).WEB_DIST_DIR).toBe(
      join(process.cwd(), 'some/where'),
    );
  });

  describe('with a built page', () => {
    let base: string;
    let warnings: string[];

    beforeAll(async () => {
      ({ base, warnings } = await serve(builtPage()));
    });

    it('serves index.html at / and /index.html, never cached, with a CSP', async () => {
      for (const path of ['/', '/index.html', '/?room=demo']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/html');
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toBe(WEB_PAGE_CSP);
        expect(await res.text()).toBe(INDEX_HTML);
      }
      expect((await fetch(base, { method: 'HEAD' })).status).toBe(200);
      expect(warnings).toEqual([]);
    });

    it('serves the hashed assets with a year of immutable caching', async () => {
      const res = await fetch(`${base}/assets/index-abc123.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('javascript');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).toBe(BUNDLE);
    });

    it('never serves dotfiles, and unknown assets fall through to the 404', async () => {
      expect((await fetch(`${base}/assets/.secret`)).status).not.toBe(200);
      expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    });

    it('leaves /api, /health and /metrics to the gateway even when the folder holds such names', async () => {
      const api = await fetch(`${base}/api/gifts`);
      expect(api.status).toBe(404);
      expect(await api.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).not.toBe('shadow');
    });
  });

  describe('without a built page', () => {
    it('warns once at mount and answers / with a NOT_FOUND error naming the build', async () => {
      const dir = tempDir();
      const { base, warnings } = await serve(dir);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(join(dir, 'index.html'));
      const res = await fetch(base);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({
        error: { code: 'NOT_FOUND', message: 'the web page is not built: npm run build' },
      });
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    });

    it('serves the page once it is built, without a restart', async () => {
      const dir = tempDir();
      const { base } = await serve(dir);
      expect((await fetch(base)).status).toBe(404);
      writeFileSync(join(dir, 'index.html'), INDEX_HTML);
      const res = await fetch(base);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX_HTML);
    });
  });
});
