// One jest run over every project, so CI gets a single pass/fail total. Unit specs live beside the
// code; e2e projects boot the built apps as real child processes.
const fs = require('node:fs');
const path = require('node:path');

const projectDirs = [
  ...['apps', 'libs'].flatMap((dir) =>
    fs.readdirSync(path.join(__dirname, dir)).map((name) => path.join(dir, name)),
  ),
  'bench',
].filter((p) => fs.existsSync(path.join(__dirname, p, 'jest.config.js')));

module.exports = { projects: projectDirs.map((p) => `<rootDir>/${p}`) };
