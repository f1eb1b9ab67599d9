module.exports = { ...require('../../jest.preset.js'), displayName: 'rpc-broker', rootDir: __dirname };
