import { type INestApplication, Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Hashed file names change with their content, so browsers may keep them for a year. */
const ASSET_MAX_AGE = '365d';

/** What a request for the page answers while its index.html is missing. */
export interface NotBuiltAnswer {
  status: number;
  /** A string goes as plain text, anything else as JSON. */
  body: string | object;
  /** Set on that answer only, e.g. a Cache-Control. */
  headers?: Readonly<Record<string, string>>;
}

export interface BuiltPageOptions {
  /** The folder vite builds the page into: index.html, and the hashed bundles in assets/. */
  distDir: string;
  /** Where the page lives, with both slashes: `/` or `/dashboard/`. */
  path: string;
  /** The Content-Security-Policy of index.html (see `selfOnlyCsp`). */
  csp: string;
  /** The context of the page's log lines. */
  logContext: string;
  notBuilt: NotBuiltAnswer;
  /** The warning logged once while index.html is missing: what answers, until what is built. */
  notBuiltWarning: (indexFile: string) => string;
}

/**
 * The policy of a page that loads only its own bundles and talks only to its own origin: anything
 * injected into it has nowhere to load from or post to. `formAction` is where its forms may go.
 */
export function selfOnlyCsp(options: { formAction: "'self'" | "'none'" }): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action ${options.formAction}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What the routes need of Express's request and response (express types are not installed). */
interface PageRequest {
  path: string;
}

interface PageResponse {
  headersSent: boolean;
  status(code: number): PageResponse;
  setHeader(name: string, value: string): void;
  send(body: string): void;
  json(body: unknown): void;
  redirect(status: number, url: string): void;
  sendFile(
    path: string,
    options: { headers: Record<string, string>; dotfiles: 'deny' },
    done: (error?: Error & { code?: string; status?: number }) => void,
  ): void;
}

/**
 * Serves a page built by vite into `distDir` on the app's HTTP port: `path` and `path`index.html
 * answer index.html (no-cache, with the CSP), `path`assets/* the hashed bundles (cached a year,
 * immutable). Under a sub-path, the address without its slash redirects to it, since the page's
 * URLs are relative. Nothing else is served from the folder, so the page never shadows the app's
 * routes, and other requests never touch the disk. Without a built page the app runs on: one
 * warning, and `notBuilt` as the answer; a page built later is served without a restart. Call
 * before listening (runApp's `configure`), so the routes precede Nest's 404.
 */
export function mountBuiltPage(app: INestApplication, options: BuiltPageOptions): void {
  const { path } = options;
  if (!path.startsWith('/') || !path.endsWith('/')) {
    throw new Error(`a page's path starts and ends with a slash: ${path}`);
  }
  const log = new Logger(options.logContext);
  const indexFile = join(options.distDir, 'index.html');
  let warned = false;
  const warnNotBuilt = (): void => {
    if (warned) return;
    warned = true;
    log.warn(options.notBuiltWarning(indexFile));
  };
  if (!existsSync(indexFile)) warnNotBuilt();

  (app as NestExpressApplication).useStaticAssets(join(options.distDir, 'assets'), {
    prefix: `${path}assets/`,
    maxAge: ASSET_MAX_AGE,
    immutable: true,
    index: false,
    redirect: false,
    dotfiles: 'deny',
    fallthrough: true,
  });

  const answerNotBuilt = (response: PageResponse): void => {
    const { status, body, headers = {} } = options.notBuilt;
    if (typeof body === 'string') response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    if (typeof body === 'string') response.status(status).send(body);
    else response.status(status).json(body);
  };

  const serveIndex = (_request: unknown, response: PageResponse, next?: unknown): void => {
    const headers = {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': options.csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    };
    response.sendFile(indexFile, { headers, dotfiles: 'deny' }, (error) => {
      if (error === undefined) return;
      if (error.code === 'ENOENT' || error.status === 404) {
        warnNotBuilt();
        if (!response.headersSent) answerNotBuilt(response);
        return;
      }
      // A client that went away mid-file is not an error of ours; anything else goes to Nest.
      if (error.code === 'ECONNABORTED' || response.headersSent) return;
      if (typeof next === 'function') next(error);
    });
  };
  const http = app.getHttpAdapter();
  if (path === '/') {
    http.get('/', serveIndex);
  } else {
    // Express routes `/dashboard` and `/dashboard/` alike: only the one without the slash redirects,
    // to a relative address so that a proxy may mount the app under a prefix.
    const bare = path.slice(0, -1);
    const relative = `${bare.slice(bare.lastIndexOf('/') + 1)}/`;
    http.get(bare, (request: PageRequest, response: PageResponse, next?: unknown) => {
      if (request.path.endsWith('/')) serveIndex(request, response, next);
      else response.redirect(302, relative);
    });
  }
  http.get(`${path}index.html`, serveIndex);
}
