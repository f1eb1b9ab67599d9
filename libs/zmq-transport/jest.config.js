module.exports = { ...require('../../jest.preset.js'), displayName: 'zmq-transport', rootDir: __dirname };
