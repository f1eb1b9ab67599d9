import { type INestApplication, Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeManagerConfig } from '../manager-config';

/** Where the dashboard lives on the manager's HTTP port; its API (/cluster, /cluster/series) sits beside it. */
export const DASHBOARD_PATH = '/dashboard';

/** Hashed file names change with their content, so browsers may keep them for a year. */
const ASSET_MAX_AGE = '365d';

/** The page loads only its own bundles and reads only its own origin (the manager's /cluster). */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The answer of /dashboard/ while the page is not built. */
export const DASHBOARD_NOT_BUILT = 'the cluster dashboard is not built: npx nx run cluster-dashboard:build (or npm run build)\n';

/** What the routes need of Express's request and response (express types are not installed). */
interface PageRequest {
  path: string;
}

interface PageResponse {
  headersSent: boolean;
  status(code: number): PageResponse;
  setHeader(name: string, value: string): void;
  send(body: string): void;
  redirect(status: number, url: string): void;
  sendFile(
    path: string,
    options: { headers: Record<string, string>; dotfiles: 'deny' },
    done: (error?: Error & { code?: string; status?: number }) => void,
  ): void;
}

/**
 * Serves the cluster dashboard (apps/cluster-dashboard, built by vite into DASHBOARD_DIST_DIR):
 * `/dashboard` redirects to `/dashboard/` (the page's URLs are relative), which answers index.html
 * (no-cache, with a CSP); `/dashboard/assets/*` the hashed bundles (cached a year). Nothing else is
 * read from the folder. Without a built page the manager runs on: one warning, and a 503 naming
 * the build. Call before listening, so the routes precede Nest's 404.
 */
export function mountDashboard(app: INestApplication, config: Pick<NodeManagerConfig, 'DASHBOARD_DIST_DIR'>): void {
  const log = new Logger('Dashboard');
  const indexFile = join(config.DASHBOARD_DIST_DIR, 'index.html');
  let warned = false;
  const warnNotBuilt = (): void => {
    if (warned) return;
    warned = true;
    log.warn(`no dashboard at ${indexFile}: ${DASHBOARD_PATH} answers 503 until apps/cluster-dashboard is built`);
  };
  if (!existsSync(indexFile)) warnNotBuilt();

  (app as NestExpressApplication).useStaticAssets(join(config.DASHBOARD_DIST_DIR, 'assets'), {
    prefix: `${DASHBOARD_PATH}/assets/`,
    maxAge: ASSET_MAX_AGE,
    immutable: true,
    index: false,
    redirect: false,
    dotfiles: 'deny',
    fallthrough: true,
  });

  const serveIndex = (_request: unknown, response: PageResponse, next?: unknown): void => {
    const headers = {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    };
    response.sendFile(indexFile, { headers, dotfiles: 'deny' }, (error) => {
      if (error === undefined) return;
      if (error.code === 'ENOENT' || error.status === 404) {
        warnNotBuilt();
        if (response.headersSent) return;
        response.setHeader('Content-Type', 'text/plain; charset=utf-8');
        response.setHeader('Cache-Control', 'no-store');
        response.status(503).send(DASHBOARD_NOT_BUILT);
        return;
      }
      // A client that went away mid-file is not an error of ours; anything else goes to Nest.
      if (error.code === 'ECONNABORTED' || response.headersSent) return;
      if (typeof next === 'function') next(error);
    });
  };
  const http = app.getHttpAdapter();
  // Express routes `/dashboard` and `/dashboard/` alike: only the one without the slash redirects,
  // to a relative address so that a proxy may mount the manager under a prefix.
  http.get(DASHBOARD_PATH, (request: PageRequest, response: PageResponse, next?: unknown) => {
    if (request.path.endsWith('/')) serveIndex(request, response, next);
    else response.redirect(302, 'dashboard/');
  });
  http.get(`${DASHBOARD_PATH}/index.html`, serveIndex);
}
