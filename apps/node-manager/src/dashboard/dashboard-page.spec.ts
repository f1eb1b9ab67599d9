import { parseConfig } from '@live-im/config';
import { PageScratch, SCRATCH_ASSET } from '@live-im/testing';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NodeManagerEnv } from '../manager-config';
import { DASHBOARD_CSP, DASHBOARD_NOT_BUILT, mountDashboard } from './dashboard-page';

@Module({})
class EmptyModule {}

const INDEX_HTML = '<!doctype html><title>cluster</title>';

/** How the manager mounts its page; mountBuiltPage's own spec covers the serving itself. */
describe('mountDashboard', () => {
  const pages = new PageScratch();

  afterAll(() => pages.close());

  async function serve(built: boolean): Promise<string> {
    const dir = pages.folder('dashboard-', built ? INDEX_HTML : undefined);
    const app = await NestFactory.create(EmptyModule, { logger: false });
    mountDashboard(app, parseConfig(NodeManagerEnv, { DASHBOARD_DIST_DIR: dir }));
    return pages.listen(app);
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
    expect((await fetch(`${base}/dashboard/${SCRATCH_ASSET}`)).status).toBe(200);
    expect((await fetch(`${base}/${SCRATCH_ASSET}`)).status).toBe(404);
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
