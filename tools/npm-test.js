#!/usr/bin/env node
// `npm test`: builds every app (the e2e specs spawn the built apps), then runs every spec in one
// jest run, and ends with the total duration whether it passed or not. Arguments go to jest
// (`npm test -- apps/live-e2e`). Redis and the run's clean-up are jest's global set-up and
// teardown (libs/testing/src/test-run), so a plain `npx jest` gets them too.
const { spawn } = require('node:child_process');
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

function run(command, args) {
  return new Promise((resolve) => {
    current = spawn(command, args, { cwd: root, stdio: 'inherit' });
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

(async () => {
  // Before the build: a host without any Redis is told how to get one within seconds.
  const redisStatus = await run(process.execPath, ['-r', '@swc-node/register', CHECK_REDIS]);
  if (redisStatus !== 0) process.exit(redisStatus);
  const buildStatus = await run(bin('nx'), ['run-many', '-t', 'build', '--parallel=2']);
  const built = Date.now();
  let status = buildStatus;
  if (buildStatus === 0) status = await run(bin('jest'), ['--runInBand', ...process.argv.slice(2)]);
  const tests = buildStatus === 0 ? `, tests ${duration(Date.now() - built)}` : ', the build failed';
  console.log(
    `\nnpm test: ${duration(Date.now() - started)} in total (build ${duration(built - started)}${tests})`,
  );
  process.exit(status);
})();
