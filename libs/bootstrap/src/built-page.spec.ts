import { Controller, Get, type INestApplication, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuiltPageOptions, mountBuiltPage, selfOnlyCsp } from './built-page';

/** An app route the page must never shadow, even when the folder holds a file of that name. */
@Controller()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

const INDEX_HTML =
  '<!doctype html><title>page</title><script type="module" src="./assets/index-abc123.js"></script>';
const BUNDLE = 'console.log("page")';
const CSP = selfOnlyCsp({ formAction: "'none'" });
const NOT_BUILT = 'the page is not built: npm run build\n';

describe('selfOnlyCsp', () => {
  it('allows the own origin only, and forms where told', () => {
    expect(selfOnlyCsp({ formAction: "'self'" })).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(CSP).toContain("; form-action 'none'; ");
  });
});

describe('mountBuiltPage', () => {
  /** Every folder this file builds lives here, removed with its apps at the end. */
  const root = mkdtempSync(join(tmpdir(), 'built-page-'));
  const apps: INestApplication[] = [];

  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    rmSync(root, { recursive: true, force: true });
  });

  const emptyDir = (): string => mkdtempSync(join(root, 'dist-'));

  /** A built page, plus a dotfile and a file named like the app's route, both to stay unreachable. */
  function builtPage(): string {
    const dir = emptyDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), BUNDLE);
    writeFileSync(join(dir, 'assets', '.secret'), 'hidden');
    writeFileSync(join(dir, 'ping'), 'shadow');
    return dir;
  }

  async function serve(
    distDir: string,
    options: Partial<BuiltPageOptions> = {},
  ): Promise<{ base: string; warnings: string[] }> {
    const warnings: string[] = [];
    const app = await NestFactory.create(PingModule, { logger: false });
    apps.push(app);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    try {
      mountBuiltPage(app, {
        distDir,
        path: '/',
        csp: CSP,
        logContext: 'Page',
        notBuilt: { status: 503, body: NOT_BUILT, headers: { 'Cache-Control': 'no-store' } },
        notBuiltWarning: (indexFile) => `no page at ${indexFile}`,
        ...options,
      });
    } finally {
      warn.mockRestore();
    }
    // Port 0: the OS picks a free one (this lib is below @live-im/testing, so no freePorts here).
    await app.listen(0, '127.0.0.1');
    return { base: await app.getUrl(), warnings };
  }

  describe.each(['/', '/dashboard/'])('with a built page at %s', (path) => {
    let base: string;
    let warnings: string[];

    beforeAll(async () => {
      ({ base, warnings } = await serve(builtPage(), { path }));
    });

    it('serves index.html at the path and at index.html, never cached, with the CSP', async () => {
      for (const url of [path, `${path}index.html`, `${path}?room=demo`]) {
        const res = await fetch(`${base}${url}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/html');
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toBe(CSP);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('same-origin');
        expect(await res.text()).toBe(INDEX_HTML);
      }
      expect((await fetch(`${base}${path}`, { method: 'HEAD' })).status).toBe(200);
      expect(warnings).toEqual([]);
    });

    it('serves the hashed assets with a year of immutable caching', async () => {
      const res = await fetch(`${base}${path}assets/index-abc123.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('javascript');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).toBe(BUNDLE);
    });

    it('never serves dotfiles, and unknown assets fall through to the 404', async () => {
      expect((await fetch(`${base}${path}assets/.secret`)).status).not.toBe(200);
      expect((await fetch(`${base}${path}assets/missing.js`)).status).toBe(404);
    });

    it('serves nothing else of the folder: the app keeps its routes', async () => {
      const ping = await fetch(`${base}${path}ping`);
      if (path === '/') expect(await ping.text()).toBe('pong');
      else expect(ping.status).toBe(404);
      expect(await (await fetch(`${base}/ping`)).text()).toBe('pong');
    });
  });

  describe('under a sub-path', () => {
    it('redirects the address without its slash to the path, relatively, keeping nothing else', async () => {
      const { base } = await serve(builtPage(), { path: '/ops/cluster/' });
      const res = await fetch(`${base}/ops/cluster?x=1`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('cluster/');
      expect((await fetch(`${base}/ops/cluster/`)).status).toBe(200);
    });

    it('refuses a path without both slashes', async () => {
      await expect(serve(builtPage(), { path: '/dashboard' })).rejects.toThrow(/slash/);
      await expect(serve(builtPage(), { path: 'dashboard/' })).rejects.toThrow(/slash/);
    });
  });

  describe('without a built page', () => {
    it('warns once and answers a string body in plain text with its headers; the app keeps serving', async () => {
      const dir = emptyDir();
      const { base, warnings } = await serve(dir);
      expect(warnings).toEqual([`no page at ${join(dir, 'index.html')}`]);
      for (let i = 0; i < 2; i += 1) {
        const res = await fetch(base);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-security-policy')).toBeNull();
        expect(await res.text()).toBe(NOT_BUILT);
      }
      expect(warnings).toHaveLength(1);
      expect(await (await fetch(`${base}/ping`)).text()).toBe('pong');
    });

    it('answers any other body as JSON', async () => {
      const body = { error: { code: 'NOT_FOUND', message: 'the page is not built' } };
      const { base } = await serve(emptyDir(), { path: '/page/', notBuilt: { status: 404, body } });
      const res = await fetch(`${base}/page/index.html`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('cache-control')).toBeNull();
      expect(await res.json()).toEqual(body);
    });

    it('serves the page once it is built, without a restart', async () => {
      const dir = emptyDir();
      const { base } = await serve(dir);
      expect((await fetch(base)).status).toBe(503);
      writeFileSync(join(dir, 'index.html'), INDEX_HTML);
      const res = await fetch(base);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX_HTML);
    });
  });
});
