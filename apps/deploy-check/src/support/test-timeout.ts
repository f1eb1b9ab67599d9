// Each spec renders overlays with kustomize or boots an app: allow up to a minute (jest.config.js
// testTimeout, which the root multi-project run ignores).
jest.setTimeout(60_000);
