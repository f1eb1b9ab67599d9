import { mountBuiltPage, selfOnlyCsp } from '@live-im/bootstrap';
import { ErrorCode, type RpcErrorBody } from '@live-im/contracts';
import type { INestApplication } from '@nestjs/common';
import type { GatewayConfig } from '../config';

/** The page loads only its own bundles and talks only to its own origin (the gateway). */
export const WEB_PAGE_CSP = selfOnlyCsp({ formAction: "'self'" });

/** The answer of `/` while the page is not built. */
export const WEB_PAGE_NOT_BUILT: { error: RpcErrorBody } = {
  error: { code: ErrorCode.NOT_FOUND, message: 'the web page is not built: npm run build' },
};

/**
 * Serves the live-room web page (apps/web, built by vite into WEB_DIST_DIR) at `/`, its bundles at
 * `/assets/*`: nothing else comes from the folder, so the page can never shadow /api, /health,
 * /metrics or /socket.io. Without a built page, `/` answers the API's NOT_FOUND error. Call before
 * listening.
 */
export function mountWebPage(app: INestApplication, config: Pick<GatewayConfig, 'WEB_DIST_DIR'>): void {
  mountBuiltPage(app, {
    distDir: config.WEB_DIST_DIR,
    path: '/',
    csp: WEB_PAGE_CSP,
    logContext: 'WebPage',
    notBuilt: { status: 404, body: WEB_PAGE_NOT_BUILT },
    notBuiltWarning: (indexFile) =>
      `no web page at ${indexFile}: / answers 404 until \`npm run build\` builds apps/web`,
  });
}
