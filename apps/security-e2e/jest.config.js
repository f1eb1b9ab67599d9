// Probes the hardened edges of the built apps (dist/), run as real child processes against real
// Redis on random loopback ports.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'security-e2e',
  rootDir: __dirname,
  testTimeout: 60000,
  // testTimeout is a global option, ignored when the root config runs this as one of its projects.
  setupFilesAfterEnv: ['<rootDir>/src/support/test-timeout.ts'],
};
