// The SDK as one ESM file for third-party front ends: socket.io-client, zod and the contracts are
// bundled in, so a page needs nothing else. (apps/web imports the TS source through an alias.)
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const workspace = fileURLToPath(new URL('../../', import.meta.url));
const sdk = fileURLToPath(new URL('./', import.meta.url));

export default defineConfig({
  root: sdk,
  logLevel: 'warn',
  resolve: {
    alias: { '@live-im/contracts': `${workspace}libs/contracts/src/index.ts` },
  },
  build: {
    outDir: `${workspace}dist/libs/client-sdk`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    lib: {
      entry: `${sdk}src/index.ts`,
      formats: ['es'],
      fileName: () => 'live-im-sdk.js',
    },
  },
});
