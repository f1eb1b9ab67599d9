import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const workspace = fileURLToPath(new URL('../..', import.meta.url));
/** `vite --config apps/web/vite.config.mts` serves the page with hot reload, proxying the API and Socket.IO here. */
const gateway = process.env['LIVE_IM_GATEWAY'] ?? 'http://127.0.0.1:3000';

// The live-room page: vanilla TypeScript and CSS, bundled into dist/apps/web for the gateway to
// serve. Vite does not read tsconfig paths, so the two libraries the page may use are aliased here.
export default defineConfig({
  root: webRoot,
  // Relative asset URLs: the page works at / of the gateway and behind a path prefix alike.
  base: './',
  resolve: {
    alias: {
      '@live-im/client-sdk': `${workspace}libs/client-sdk/src/index.ts`,
      '@live-im/contracts': `${workspace}libs/contracts/src/index.ts`,
    },
  },
  build: {
    outDir: `${workspace}dist/apps/web`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Everything, the favicon included, gets a content hash under assets/, which the gateway caches for a year.
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: gateway },
      '/socket.io': { target: gateway, ws: true },
    },
  },
});
