import { parseConfig } from '@live-im/config';
import { freePorts } from '@live-im/testing';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeManagerEnv } from '../manager-config';
import { DASHBOARD_CSP, DASHBOARD_NOT_BUILT, mountDashboard } from './dashboard-page';

@Module({})
class EmptyModule {}

const INDEX_HTML = '<!doctype html><title>cluster</title>';

/** How the manager mounts its page; mountBuiltPage's own spec covers the serving itself. */
describe('mountDashboard', () => {
  const dirs: string[] = [];
  const apps: INestApplication[] = [];

  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function serve(built: boolean): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    dirs.push(dir);
    if (built) {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), INDEX_HTML);
      writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("cluster")');
    }
    const app = await NestFactory.create(EmptyModule, { logger: false });
    apps.push(app);
    mountDashboard(app, parseConfig(NodeManagerEnv, { DASHBOARD_DIST_DIR: dir }));
    const [port] = await freePorts(1);
    await app.listen(port as number, '127.0.0.1');
    return `http://127.0.0.1:${port}`;
  }

  it('serves the page at /dashboard/ with a CSP that allows no form, /dashboard redirecting there', async () => {
    const base = await serve(true);
    const redirect = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('dashboard/');
    const page = await fetch(`${base}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("form-action 'none'");
    expect(await page.text()).toBe(INDEX_HTML);
    expect((await fetch(`${base}/dashboard/assets/index-abc123.js`)).status).toBe(200);
    expect((await fetch(`${base}/assets/index-abc123.js`)).status).toBe(404);
  });

  it('answers 503 in plain text naming the build, never cached, while the page is not built', async () => {
    const base = await serve(false);
    const res = await fetch(`${base}/dashboard/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe(DASHBOARD_NOT_BUILT);
  });
});
