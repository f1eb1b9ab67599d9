// Boots the built apps (dist/) as real child processes against real Redis on random loopback ports.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'rpc-e2e',
  rootDir: __dirname,
  testTimeout: 60000,
};
