module.exports = { ...require('../../jest.preset.js'), displayName: 'broadcast', rootDir: __dirname };
