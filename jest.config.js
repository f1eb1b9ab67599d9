// Every project's specs. Two tiers: `unit` (specs beside the code, no child processes) and `e2e`
// (projects tagged type:e2e, which boot the built apps as real child processes). LIVE_IM_TEST_TIER
// picks one; unset, jest runs both. `npm test` runs the tiers one after the other (tools/npm-test.js).
const fs = require('node:fs');
const path = require('node:path');

const TIERS = ['unit', 'e2e'];
const tier = process.env.LIVE_IM_TEST_TIER;
if (tier !== undefined && tier !== '' && !TIERS.includes(tier)) {
  throw new Error(`LIVE_IM_TEST_TIER must be one of ${TIERS.join(', ')}, got "${tier}"`);
}

function tierOf(projectDir) {
  const { tags = [] } = JSON.parse(fs.readFileSync(path.join(__dirname, projectDir, 'project.json'), 'utf8'));
  return tags.includes('type:e2e') ? 'e2e' : 'unit';
}

const projectDirs = [
  ...['apps', 'libs'].flatMap((dir) =>
    fs.readdirSync(path.join(__dirname, dir)).map((name) => path.join(dir, name)),
  ),
  'bench',
]
  .filter((p) => fs.existsSync(path.join(__dirname, p, 'jest.config.js')))
  .filter((p) => !tier || tierOf(p) === tier);

module.exports = { projects: projectDirs.map((p) => `<rootDir>/${p}`) };
