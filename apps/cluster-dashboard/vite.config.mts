import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const pageRoot = fileURLToPath(new URL('.', import.meta.url));
const workspace = fileURLToPath(new URL('../..', import.meta.url));
/** `vite --config apps/cluster-dashboard/vite.config.mts` serves the page with hot reload, proxying /cluster here. */
const manager = process.env['LIVE_IM_NODE_MANAGER'] ?? 'http://127.0.0.1:3020';

// The node manager's cluster dashboard: vanilla TypeScript, CSS and uPlot, bundled into
// dist/apps/cluster-dashboard for the manager to serve at /dashboard/. Vite does not read tsconfig
// paths, so the one library the page may use is aliased here.
export default defineConfig({
  root: pageRoot,
  // Relative asset URLs: the page works at /dashboard/ of the manager and behind a path prefix alike.
  base: './',
  resolve: {
    alias: {
      '@live-im/contracts': `${workspace}libs/contracts/src/index.ts`,
    },
  },
  build: {
    outDir: `${workspace}dist/apps/cluster-dashboard`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/cluster': { target: manager } },
  },
});
