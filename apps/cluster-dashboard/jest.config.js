module.exports = { ...require('../../jest.preset.js'), displayName: 'cluster-dashboard', rootDir: __dirname };
