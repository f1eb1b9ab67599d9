// Specs of the benchmarks' own clients (they must read the servers' wire right for the figures to
// mean anything).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'bench',
  rootDir: __dirname,
  testPathIgnorePatterns: ['/results/'],
};
