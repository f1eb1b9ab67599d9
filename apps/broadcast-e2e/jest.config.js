// Boots the built node-manager and broadcast nodes as real child processes on random loopback ports.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'broadcast-e2e',
  rootDir: __dirname,
  // testTimeout is a global option, ignored when the root config runs this as one of its projects.
  setupFilesAfterEnv: ['<rootDir>/src/support/test-timeout.ts'],
};
