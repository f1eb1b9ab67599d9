module.exports = { ...require('../../jest.preset.js'), displayName: 'room-service', rootDir: __dirname };
