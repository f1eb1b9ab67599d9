import { ErrorCode, type RpcErrorBody } from '@live-im/contracts';
import { type INestApplication, Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../config';

/** Where the page's hashed bundles live inside WEB_DIST_DIR (vite's `assets/`). */
export const WEB_ASSETS_PATH = '/assets/';

/** Hashed file names change with their content, so browsers may keep them for a year. */
const ASSET_MAX_AGE = '365d';

/**
 * The page loads only its own bundles and talks only to its own origin (the gateway): anything
 * injected despite the page rendering user text as text has nowhere to load from or post to.
 */
export const WEB_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The answer of `/` while the page is not built. */
export const WEB_PAGE_NOT_BUILT: { error: RpcErrorBody } = {
  error: { code: ErrorCode.NOT_FOUND, message: 'the web page is not built: npm run build' },
};

/** What the index route needs of Express's request and response (express types are not installed). */
interface IndexResponse {
  headersSent: boolean;
  status(code: number): IndexResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
  sendFile(
    path: string,
    options: { headers: Record<string, string>; dotfiles: 'deny' },
    done: (error?: Error & { code?: string; status?: number }) => void,
  ): void;
}

/**
 * Serves the live-room web page (apps/web, built by vite into WEB_DIST_DIR) on the gateway's HTTP
 * port: `/` and `/index.html` answer index.html (no-cache, with a CSP), `/assets/*` the hashed
 * bundles (cached a year, immutable). Nothing else is served from the folder, so the page can
 * never shadow /api, /health, /metrics or /socket.io, and other requests never touch the disk.
 * Call before listening, so the routes precede Nest's 404. A page built after the gateway started
 * is served without a restart.
 */
export function mountWebPage(app: INestApplication, config: Pick<GatewayConfig, 'WEB_DIST_DIR'>): void {
  const log = new Logger('WebPage');
  const indexFile = join(config.WEB_DIST_DIR, 'index.html');
  let warned = false;
  const warnNotBuilt = (): void => {
    if (warned) return;
    warned = true;
    log.warn(`no web page at ${indexFile}: / answers 404 until \`npm run build\` builds apps/web`);
  };
  if (!existsSync(indexFile)) warnNotBuilt();

  (app as NestExpressApplication).useStaticAssets(join(config.WEB_DIST_DIR, 'assets'), {
    prefix: WEB_ASSETS_PATH,
    maxAge: ASSET_MAX_AGE,
    immutable: true,
    index: false,
    redirect: false,
    dotfiles: 'deny',
    fallthrough: true,
  });

  const serveIndex = (_request: unknown, response: IndexResponse, next?: unknown): void => {
    const headers = {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': WEB_PAGE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    };
    response.sendFile(indexFile, { headers, dotfiles: 'deny' }, (error) => {
      if (error === undefined) return;
      if (error.code === 'ENOENT' || error.status === 404) {
        warnNotBuilt();
        if (!response.headersSent) response.status(404).json(WEB_PAGE_NOT_BUILT);
        return;
      }
      // A client that went away mid-file is not an error of ours; anything else goes to Nest.
      if (error.code === 'ECONNABORTED' || response.headersSent) return;
      if (typeof next === 'function') next(error);
    });
  };
  const http = app.getHttpAdapter();
  http.get('/', serveIndex);
  http.get('/index.html', serveIndex);
}
