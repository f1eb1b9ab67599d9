module.exports = { ...require('../../jest.preset.js'), displayName: 'node-manager', rootDir: __dirname };
