// Each spec runs a whole nested jest (a Redis started, apps spawned) on a loaded machine: allow up
// to three minutes (jest.config.js testTimeout, which the root multi-project run ignores).
jest.setTimeout(180_000);
