module.exports = { ...require('../../jest.preset.js'), displayName: 'broadcast-node', rootDir: __dirname };
