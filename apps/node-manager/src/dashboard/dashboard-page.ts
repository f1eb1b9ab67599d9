import { mountBuiltPage, selfOnlyCsp } from '@live-im/bootstrap';
import type { INestApplication } from '@nestjs/common';
import type { NodeManagerConfig } from '../manager-config';

/** Where the dashboard lives on the manager's HTTP port; its API (/cluster, /cluster/series) sits beside it. */
export const DASHBOARD_PATH = '/dashboard';

/** The page loads only its own bundles and reads only its own origin (the manager's /cluster). */
export const DASHBOARD_CSP = selfOnlyCsp({ formAction: "'none'" });

/** The answer of /dashboard/ while the page is not built. */
export const DASHBOARD_NOT_BUILT =
  'the cluster dashboard is not built: npx nx run cluster-dashboard:build (or npm run build)\n';

/**
 * Serves the cluster dashboard (apps/cluster-dashboard, built by vite into DASHBOARD_DIST_DIR) at
 * `/dashboard/` (`/dashboard` redirects there). Without a built page the manager runs on: one
 * warning, and a 503 naming the build, never cached. Call before listening.
 */
export function mountDashboard(
  app: INestApplication,
  config: Pick<NodeManagerConfig, 'DASHBOARD_DIST_DIR'>,
): void {
  mountBuiltPage(app, {
    distDir: config.DASHBOARD_DIST_DIR,
    path: `${DASHBOARD_PATH}/`,
    csp: DASHBOARD_CSP,
    logContext: 'Dashboard',
    notBuilt: { status: 503, body: DASHBOARD_NOT_BUILT, headers: { 'Cache-Control': 'no-store' } },
    notBuiltWarning: (indexFile) =>
      `no dashboard at ${indexFile}: ${DASHBOARD_PATH} answers 503 until apps/cluster-dashboard is built`,
  });
}
