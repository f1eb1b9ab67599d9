// Shared jest settings: every project transpiles TypeScript with swc (decorator metadata on, as Nest
// needs it) and resolves @live-im/* through the same paths as tsconfig.base.json.
const path = require('node:path');
const fs = require('node:fs');

const root = __dirname;
const swcConfig = JSON.parse(fs.readFileSync(path.join(root, '.swcrc.jest.json'), 'utf8'));
const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('/', '\\/')}$`] = path.join(root, target);
}

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swcConfig] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['**/?(*.)+(spec|test).ts'],
  // Once per jest run whatever projects it runs (jest runs a hook path once): a Redis that answers
  // (REDIS_URL, 127.0.0.1:6379 or a redis-server of this run), and at the end nothing left running.
  globalSetup: path.join(root, 'libs/testing/src/test-run/jest-global-setup.ts'),
  globalTeardown: path.join(root, 'libs/testing/src/test-run/jest-global-teardown.ts'),
};
