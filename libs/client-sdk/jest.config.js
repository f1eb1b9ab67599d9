module.exports = { ...require('../../jest.preset.js'), displayName: 'client-sdk', rootDir: __dirname };
