// The guard deploy/scripts/start-local.js (`npm start`) runs beside itself, in a session of its
// own so no terminal signal reaches it. It reads on stdin what the script starts and what ends,
// one line each:
//
//   app <pid> | redis <pid>    a process to stop if the script dies
//   exited <pid>               that process is gone (its pid may be reused: never signal it)
//   done                       the script stopped everything itself
//
// When stdin closes without "done", the script was killed outright (kill -9, the OOM killer): the
// guard stops what is left as the script would have, SIGTERM to the apps (each drains), then to
// the redis-server, SIGKILL to anything still there after the timeout, and exits.
'use strict';

const APP_STOP_TIMEOUT_MS = 35_000;
const REDIS_STOP_TIMEOUT_MS = 10_000;

const watched = { app: new Set(), redis: new Set() };
let done = false;
let pending = '';

const log = (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signal(pid, name) {
  try {
    // Each child of the script leads a process group of its own: the whole group goes.
    process.kill(-pid, name);
  } catch {
    // Already gone.
  }
}

async function stop(pids, timeoutMs) {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while ([...pids].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids) {
    if (!alive(pid)) continue;
    log(`pid ${pid} did not stop within ${timeoutMs} ms; killing it`);
    signal(pid, 'SIGKILL');
  }
}

function onLine(line) {
  const [word, rawPid] = line.trim().split(/\s+/);
  const pid = Number(rawPid);
  if (word === 'done') done = true;
  else if ((word === 'app' || word === 'redis') && Number.isInteger(pid) && pid > 0) watched[word].add(pid);
  else if (word === 'exited' && Number.isInteger(pid)) {
    watched.app.delete(pid);
    watched.redis.delete(pid);
  } else if (word) log(`ignored line: ${line}`);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  lines.forEach(onLine);
});
process.stdin.on('end', async () => {
  if (pending) onLine(pending);
  if (done || (watched.app.size === 0 && watched.redis.size === 0)) process.exit(0);
  log(`the start script is gone; stopping ${watched.app.size} apps and ${watched.redis.size} redis-server`);
  await stop(watched.app, APP_STOP_TIMEOUT_MS);
  await stop(watched.redis, REDIS_STOP_TIMEOUT_MS);
  log('stopped');
  process.exit(0);
});
// Ctrl-C and hang-ups belong to the start script; this process outlives it on purpose.
for (const name of ['SIGINT', 'SIGHUP']) process.on(name, () => undefined);
