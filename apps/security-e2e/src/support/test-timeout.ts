// Real processes under load: a test may take up to a minute (jest.config.js testTimeout, which the
// root multi-project run ignores).
jest.setTimeout(60_000);
