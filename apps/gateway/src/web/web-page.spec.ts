import { parseConfig } from '@live-im/config';
import { HealthModule } from '@live-im/health';
import { PageScratch, SCRATCH_ASSET } from '@live-im/testing';
import { Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayEnv } from '../config';
import { ApiExceptionFilter } from '../http/api-exception.filter';
import { HttpEdgeMetrics } from '../http/http-edge-metrics';
import { mountWebPage, WEB_PAGE_CSP, WEB_PAGE_NOT_BUILT } from './web-page';

/** The routes the page must never shadow: probes and metrics (Nest), and the API's 404 shape. */
@Module({
  imports: [HealthModule.forRoot({ readiness: [] })],
  providers: [HttpEdgeMetrics, { provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
class ProbesModule {}

const API_KEY = { API_KEY: 'spec-api-key-0123456789' };
const INDEX_HTML = '<!doctype html><title>live</title>';

/** How the gateway mounts its page; mountBuiltPage's own spec covers the serving itself. */
describe('mountWebPage', () => {
  const pages = new PageScratch();

  afterAll(() => pages.close());

  /** A built page, or none, plus files named like the gateway's own routes. */
  async function serve(built: boolean): Promise<string> {
    const dir = pages.folder('web-page-', built ? INDEX_HTML : undefined);
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'api', 'gifts'), 'shadow');
    writeFileSync(join(dir, 'metrics'), 'shadow');
    const app = await NestFactory.create(ProbesModule, { logger: false });
    mountWebPage(app, parseConfig(GatewayEnv, { ...API_KEY, WEB_DIST_DIR: dir }));
    return pages.listen(app);
  }

  it('defaults WEB_DIST_DIR to dist/apps/web under the working directory, made absolute', () => {
    expect(parseConfig(GatewayEnv, API_KEY).WEB_DIST_DIR).toBe(join(process.cwd(), 'dist/apps/web'));
    expect(parseConfig(GatewayEnv, { ...API_KEY, WEB_DIST_DIR: 'some/where' }).WEB_DIST_DIR).toBe(
      join(process.cwd(), 'some/where'),
    );
  });

  it('serves the page at / with a CSP that lets forms post to the gateway only, its bundles at /assets/', async () => {
    const base = await serve(true);
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(WEB_PAGE_CSP);
    expect(WEB_PAGE_CSP).toContain("form-action 'self'");
    expect(await page.text()).toBe(INDEX_HTML);
    expect((await fetch(`${base}/${SCRATCH_ASSET}`)).status).toBe(200);
  });

  it('leaves /api, /health and /metrics to the gateway even when the folder holds such names', async () => {
    const base = await serve(true);
    const api = await fetch(`${base}/api/gifts`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).not.toBe('shadow');
  });

  it('answers / with the API NOT_FOUND error naming the build while the page is not built', async () => {
    const base = await serve(false);
    const res = await fetch(base);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(WEB_PAGE_NOT_BUILT);
    expect(WEB_PAGE_NOT_BUILT).toEqual({
      error: { code: 'NOT_FOUND', message: 'the web page is not built: npm run build' },
    });
  });
});
