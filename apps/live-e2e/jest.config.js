// Boots the built apps (dist/) as real child processes against real Redis on random loopback ports.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'live-e2e',
  rootDir: __dirname,
  testTimeout: 60000,
  // testTimeout is a global option, ignored when the root config runs this as one of its projects.
  setupFilesAfterEnv: ['<rootDir>/src/support/test-timeout.ts'],
};
