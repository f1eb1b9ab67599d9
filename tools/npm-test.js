#!/usr/bin/env node
// `npm test`: builds every app (the e2e specs spawn the built apps), then runs the unit tier and
// the e2e tier (jest.config.js, LIVE_IM_TEST_TIER) one after the other, prints each tier's
// duration and one `Tests:` total, and exits non-zero when either failed. `--tier unit|e2e` runs
// one tier; other arguments go to a single jest run (`npm test -- apps/live-e2e`). Redis and the
// run's clean-up are jest's global set-up and teardown (libs/testing/src/test-run), so a plain
// `npx jest` gets them too.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { constants } = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const CHECK_REDIS = path.join(root, 'libs/testing/src/test-run/check-redis.ts');
const started = Date.now();
let current;

// Ctrl-C reaches the children through the terminal; a signal sent to this process alone is passed
// on. Either way this process waits for the child, then reports.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (current && current.exitCode === null) current.kill(signal);
  });
}

function run(command, args, env = {}) {
  return new Promise((resolve) => {
    current = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    current.once('error', (error) => {
      console.error(`npm test: ${command} did not start: ${error.message}`);
      resolve(1);
    });
    // Killed by a signal: the shell's convention, 128 + its number.
    current.once('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

function duration(ms) {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** Which tiers to run, and the arguments left for jest. */
function plan(argv) {
  const at = argv.indexOf('--tier');
  if (at === -1) return { tiers: argv.length > 0 ? [null] : ['unit', 'e2e'], jestArgs: argv };
  const tier = argv[at + 1];
  if (tier !== 'unit' && tier !== 'e2e') {
    console.error(`npm test: --tier takes unit or e2e, got "${tier ?? ''}"`);
    process.exit(2);
  }
  return { tiers: [tier], jestArgs: [...argv.slice(0, at), ...argv.slice(at + 2)] };
}

/** One tier's jest run: the unit tier in parallel workers, the e2e tier one spec file at a time. */
async function runTier(tier, jestArgs) {
  const resultsFile = path.join(root, 'tmp', `jest-results-${tier ?? 'selected'}.json`);
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.rmSync(resultsFile, { force: true });
  const inBand = tier === 'unit' ? [] : ['--runInBand'];
  const started = Date.now();
  const status = await run(
    bin('jest'),
    [...inBand, '--json', `--outputFile=${resultsFile}`, ...jestArgs],
    tier ? { LIVE_IM_TEST_TIER: tier } : {},
  );
  let counts = { passed: 0, failed: 0, total: 0 };
  try {
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    counts = { passed: results.numPassedTests, failed: results.numFailedTests, total: results.numTotalTests };
  } catch {
    // No results file: jest did not get as far as running specs; the status says it failed.
  }
  return { tier: tier ?? 'selected specs', status, ms: Date.now() - started, counts };
}

(async () => {
  const { tiers, jestArgs } = plan(process.argv.slice(2));
  // Before the build: a host without any Redis is told how to get one within seconds.
  const redisStatus = await run(process.execPath, ['-r', '@swc-node/register', CHECK_REDIS]);
  if (redisStatus !== 0) process.exit(redisStatus);
  // Only the e2e specs spawn built apps: the unit tier alone needs no build.
  const needsBuild = !(tiers.length === 1 && tiers[0] === 'unit');
  const buildStatus = needsBuild ? await run(bin('nx'), ['run-many', '-t', 'build', '--parallel=2']) : 0;
  const built = Date.now();
  const runs = [];
  if (buildStatus === 0) {
    for (const tier of tiers) runs.push(await runTier(tier, jestArgs));
  }
  console.log('');
  for (const { tier, ms, counts, status } of runs) {
    const verdict = status === 0 ? 'passed' : 'FAILED';
    console.log(
      `npm test: ${tier} tier ${verdict} in ${duration(ms)} (${counts.passed} of ${counts.total} tests passed)`,
    );
  }
  const tests = buildStatus === 0 ? `, tests ${duration(Date.now() - built)}` : ', the build failed';
  console.log(
    `npm test: ${duration(Date.now() - started)} in total (build ${duration(built - started)}${tests})`,
  );
  if (runs.length > 0) {
    const sum = (key) => runs.reduce((total, r) => total + r.counts[key], 0);
    const failed = sum('failed');
    console.log(
      `Tests:       ${failed > 0 ? `${failed} failed, ` : ''}${sum('passed')} passed, ${sum('total')} total`,
    );
  }
  const failedRun = runs.find((r) => r.status !== 0);
  process.exit(buildStatus !== 0 ? buildStatus : failedRun ? failedRun.status : 0);
})();
