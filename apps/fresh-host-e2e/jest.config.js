// The test run itself on a fresh host: jest runs nested inside network and mount namespaces (root
// only) with nothing on loopback, or without redis-server or chromium, and must still end cleanly.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'fresh-host-e2e',
  rootDir: __dirname,
  testTimeout: 180000,
  // testTimeout is a global option, ignored when the root config runs this as one of its projects.
  setupFilesAfterEnv: ['<rootDir>/src/support/test-timeout.ts'],
};
