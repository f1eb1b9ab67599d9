#!/usr/bin/env node
// `npm start`: the whole system on this host. Builds, makes sure Redis answers (starting a local
// redis-server when REDIS_URL is unset and nothing answers on 127.0.0.1:6379), runs every app and
// waits until each is ready.
//
//   npm start                  # build, then start
//   npm start -- --no-build    # start what dist/ holds
//   LIVE_IM_REDIS=cluster npm start   # on a local Redis Cluster of 3 masters + 3 replicas
//                                     # (ports 7000-7005, started here; REDIS_CLUSTER_NODES wins)
//
// However it is stopped (Ctrl-C, SIGTERM to npm or to this script, SIGHUP, npm dying) it stops every
// app and the redis-server it started itself, never a Redis it found running, then exits 0. Every
// child runs in a session of its own, so Ctrl-C reaches this script only and each app gets exactly
// one SIGTERM from it. Killed outright (kill -9), it leaves that work to its guard
// (lib/run-guard.js), which notices the script is gone and stops the same processes.
//
// Logs, secrets and the started redis-server's files go to tmp/run (LIVE_IM_RUN_DIR).
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { connect } = require('node:net');
const { delimiter, join, relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../..');
const RUN_DIR = resolve(ROOT, process.env.LIVE_IM_RUN_DIR || 'tmp/run');
const GUARD = join(__dirname, 'lib/run-guard.js');
const REDIS_PORT = 6379;
// Apps drain on SIGTERM and exit within their own 30 s limit; after this they are killed.
const APP_STOP_TIMEOUT_MS = 35_000;
const REDIS_STOP_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 90_000;

/**
 * Every app of the system: [app, admin port (probes, /metrics, node-manager's /cluster and
 * /dashboard/), extra environment]. Only the gateways have a public HTTP port too (HTTP_PORT).
 * A broadcast node's REPLICA (not passed on) picks its own key towards the node manager.
 */
const APPS = [
  ['rpc-broker', 3010, {}],
  ['user-service', 3011, { INSTANCE_ID: 'user-1' }],
  ['room-service', 3012, { INSTANCE_ID: 'room-1' }],
  ['room-service', 3013, { INSTANCE_ID: 'room-2' }],
  ['node-manager', 3020, {}],
  [
    'broadcast-node',
    3021,
    {
      NODE_ID: 'bn-1',
      REPLICA: 0,
      BCAST_PULL_BIND: 'tcp://127.0.0.1:5570',
      BCAST_PUB_BIND: 'tcp://127.0.0.1:5571',
    },
  ],
  [
    'broadcast-node',
    3022,
    {
      NODE_ID: 'bn-2',
      REPLICA: 1,
      BCAST_PULL_BIND: 'tcp://127.0.0.1:5572',
      BCAST_PUB_BIND: 'tcp://127.0.0.1:5573',
    },
  ],
  ['gateway', 3050, { INSTANCE_ID: 'gw-1', HTTP_PORT: '3000' }],
  ['gateway', 3051, { INSTANCE_ID: 'gw-2', HTTP_PORT: '3001' }],
];

/** The origins of the local gateways' pages, by both loopback names. */
function gatewayOrigins() {
  const ports = APPS.filter(([name]) => name === 'gateway').map(([, , extra]) => extra.HTTP_PORT);
  return ports.flatMap((port) => [`http://127.0.0.1:${port}`, `http://localhost:${port}`]).join(',');
}

const USAGE = 'usage: npm start [-- --no-build]   (or node deploy/scripts/start-local.js [--no-build])';

// A closed terminal (SIGHUP) turns every later write into EIO/EPIPE; the stop must still finish.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
const say = (line) => process.stdout.write(`${line}\n`);
const complain = (line) => process.stderr.write(`${line}\n`);
/** A path as the user reads it: relative to the workspace when inside it. */
const shown = (path) => {
  const inside = relative(ROOT, path);
  return inside.startsWith('..') ? path : inside || '.';
};

/** The processes this run started, for the stop: the current build step, the apps, redis-server. */
const started = { step: undefined, apps: [], redis: undefined, clusterNodes: [] };
/** LIVE_IM_REDIS=cluster: a local Redis Cluster on these ports (cluster bus: port + 10000). */
const CLUSTER_PORTS = [7000, 7001, 7002, 7003, 7004, 7005];
let guard;
let stopping;

/** Spawns a child in a session of its own (so terminal signals reach this script only). */
function spawnDetached(command, args, options) {
  const child = spawn(command, args, { cwd: ROOT, ...options, detached: true });
  const exit = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    // A command that could not be started at all (e.g. ENOENT) emits only 'error'.
    child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
  });
  return { child, pid: child.pid, exit, exited: false };
}

function alive(proc) {
  return proc !== undefined && proc.pid !== undefined && !proc.exited;
}

/** SIGTERM (to the whole session's process group), then SIGKILL once `timeoutMs` has passed. */
async function terminate(proc, timeoutMs) {
  if (!alive(proc)) return;
  const signalGroup = (signal) => {
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  let timer;
  const late = new Promise((resolveLate) => {
    timer = setTimeout(() => resolveLate('late'), timeoutMs);
  });
  if ((await Promise.race([proc.exit, late])) === 'late') {
    complain(`pid ${proc.pid} did not stop within ${timeoutMs} ms; killing it`);
    signalGroup('SIGKILL');
    await proc.exit;
  }
  clearTimeout(timer);
}

/**
 * Stops everything this run started, once, whatever asked first: the build step, then every app
 * at once (each drains), then the redis-server started here. Exits with `exitCode`.
 */
function stopAll(reason, exitCode) {
  if (stopping) return stopping;
  say(`stopping (${reason})...`);
  stopping = (async () => {
    await terminate(started.step, APP_STOP_TIMEOUT_MS);
    await Promise.all(started.apps.map((app) => terminate(app, APP_STOP_TIMEOUT_MS)));
    if (alive(started.redis)) {
      await terminate(started.redis, REDIS_STOP_TIMEOUT_MS);
      say(`stopped redis-server (pid ${started.redis.pid})`);
    }
    const nodes = started.clusterNodes.filter(alive);
    await Promise.all(nodes.map((node) => terminate(node, REDIS_STOP_TIMEOUT_MS)));
    if (nodes.length > 0) say(`stopped the Redis Cluster (${nodes.length} redis-servers)`);
    say(`stopped ${started.apps.length} apps`);
    guard?.done();
    process.exit(exitCode);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  // Ctrl-C arrives twice (from the terminal and forwarded by npm): the stop runs once.
  process.on(signal, () => void stopAll(signal, 0));
}
// npm forwards SIGINT and SIGTERM only: if it dies of anything else (SIGHUP, kill -9), this script
// is re-parented, and nobody is left to stop it.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stopAll(`parent process ${parentPid} is gone`, 0);
}, 1000).unref();

/**
 * The guard: a process of its own session that learns every pid this run starts through a pipe.
 * If this script dies without saying "done" (kill -9), the pipe closes and the guard stops them.
 */
function startGuard() {
  mkdirSync(RUN_DIR, { recursive: true });
  const log = openSync(join(RUN_DIR, 'run-guard.log'), 'a');
  const child = spawn(process.execPath, [GUARD], { cwd: ROOT, detached: true, stdio: ['pipe', log, log] });
  closeSync(log);
  child.stdin.on('error', () => undefined);
  child.unref();
  const tell = (line) => child.stdin.write(`${line}\n`);
  return {
    watch: (kind, pid) => tell(`${kind} ${pid}`),
    forget: (pid) => tell(`exited ${pid}`),
    done: () => tell('done'),
  };
}

/** Runs a step (npm ci, the build) to its end; a failure or a stop ends the script. */
async function runStep(what, command, args, env = {}) {
  if (stopping) return stopping;
  started.step = spawnDetached(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  const { code, error } = await started.step.exit;
  started.step.exited = true;
  if (stopping) return stopping;
  if (code !== 0) {
    complain(`${what} failed${error ? `: ${error.message}` : ` (exit ${code})`}`);
    process.exit(1);
  }
  started.step = undefined;
}

function redisAnswers(host, port) {
  return new Promise((resolveAnswer) => {
    const socket = connect(port, host);
    const done = (answer) => {
      socket.destroy();
      resolveAnswer(answer);
    };
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.on('error', () => done(false));
    socket.on('timeout', () => done(false));
  });
}

function onPath(command) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** REDIS_URL as set; else the Redis on 127.0.0.1:6379; else a redis-server started here. */
async function ensureRedis() {
  if (process.env.REDIS_URL) {
    say('using REDIS_URL');
    return process.env.REDIS_URL;
  }
  const url = `redis://127.0.0.1:${REDIS_PORT}`;
  if (await redisAnswers('127.0.0.1', REDIS_PORT)) {
    say(`redis answers on 127.0.0.1:${REDIS_PORT} (left running on stop)`);
    return url;
  }
  const server = onPath('redis-server');
  if (!server) {
    complain(`No Redis answers on 127.0.0.1:${REDIS_PORT} and redis-server is not installed.`);
    complain('Install it (Debian: sudo apt-get install -y redis-server) or set REDIS_URL=redis://host:port.');
    process.exit(1);
  }
  const dir = join(RUN_DIR, 'redis');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'redis.log');
  // In the foreground (no --daemonize): its pid is known and it is stopped with the apps.
  const redis = spawnDetached(
    server,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(REDIS_PORT),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      logFile,
    ],
    { stdio: 'ignore' },
  );
  started.redis = redis;
  void redis.exit.then(() => {
    redis.exited = true;
    guard.forget(redis.pid);
  });
  guard.watch('redis', redis.pid);
  say(`started redis-server (pid ${redis.pid}, 127.0.0.1:${REDIS_PORT}, log ${shown(logFile)})`);
  for (let i = 0; i < 100 && !redis.exited && !stopping; i += 1) {
    if (await redisAnswers('127.0.0.1', REDIS_PORT)) return url;
    await sleep(100);
  }
  if (stopping) return stopping;
  complain(`redis-server did not start; see ${shown(logFile)}`);
  return stopAll('redis-server did not start', 1);
}

/**
 * LIVE_IM_REDIS=cluster: REDIS_CLUSTER_NODES as set; else a Redis Cluster of 3 masters + 3 replicas
 * started here on 127.0.0.1:7000-7005, fresh each start (no persistence), stopped with the apps.
 */
async function ensureRedisCluster() {
  if (process.env.REDIS_CLUSTER_NODES) {
    say('using REDIS_CLUSTER_NODES');
    return process.env.REDIS_CLUSTER_NODES;
  }
  const server = onPath('redis-server');
  const cli = onPath('redis-cli');
  if (!server || !cli) {
    complain('LIVE_IM_REDIS=cluster needs redis-server and redis-cli: sudo apt-get install -y redis-server');
    process.exit(1);
  }
  for (const port of CLUSTER_PORTS) {
    if (await redisAnswers('127.0.0.1', port)) {
      complain(
        `LIVE_IM_REDIS=cluster: something already answers on 127.0.0.1:${port}; stop it or set REDIS_CLUSTER_NODES`,
      );
      process.exit(1);
    }
  }
  const root = join(RUN_DIR, 'redis-cluster');
  rmSync(root, { recursive: true, force: true });
  for (const port of CLUSTER_PORTS) {
    const dir = join(root, String(port));
    mkdirSync(dir, { recursive: true });
    // prettier-ignore
    const node = spawnDetached(server, [
      '--bind', '127.0.0.1', '--port', String(port), '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
      // The rooms of a replica set that is down fail; the other rooms keep working.
      '--cluster-require-full-coverage', 'no', '--repl-diskless-sync-delay', '0',
      '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log'),
    ], { stdio: 'ignore' });
    started.clusterNodes.push(node);
    void node.exit.then(() => {
      node.exited = true;
      guard.forget(node.pid);
    });
    guard.watch('redis', node.pid);
  }
  for (const port of CLUSTER_PORTS) {
    for (let i = 0; i < 100 && !(await redisAnswers('127.0.0.1', port)); i += 1) {
      if (stopping) return stopping;
      await sleep(100);
    }
  }
  const nodes = CLUSTER_PORTS.map((port) => `127.0.0.1:${port}`);
  const created = await runQuiet(cli, [
    '--cluster',
    'create',
    ...nodes,
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  for (let i = 0; created && i < 300; i += 1) {
    const info = await runQuiet(cli, ['-p', String(CLUSTER_PORTS[0]), 'cluster', 'info'], true);
    if (typeof info === 'string' && info.includes('cluster_state:ok')) {
      say(`started a Redis Cluster of 3 masters + 3 replicas on 127.0.0.1:7000-7005 (logs ${shown(root)}/)`);
      return nodes.join(',');
    }
    await sleep(100);
  }
  complain(`the Redis Cluster did not form; see ${shown(root)}/*/redis.log`);
  return stopAll('the Redis Cluster did not form', 1);
}

/** Runs a short command; true (or its output with `output`) when it exits 0, else false. */
function runQuiet(command, args, output = false) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.once('error', () => resolveRun(false));
    child.once('exit', (code) => resolveRun(code === 0 ? (output ? text : true) : false));
  });
}

/** A secret made once on this host and kept in the run directory (tmp/ is ignored by git). */
function hostSecret(file, bytes) {
  const path = join(RUN_DIR, file);
  if (!existsSync(path) || readFileSync(path, 'utf8').length === 0) {
    writeFileSync(path, randomBytes(bytes).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(path, 'utf8');
}

/**
 * The dev bus key set under tmp/run/bus-keys, made once by the built rpc-cli (`keys`) and kept, so
 * a restart keeps the keys. Every app runs with CURVE and the trust list from it.
 */
async function ensureBusKeys() {
  const dir = join(RUN_DIR, 'bus-keys');
  // A set made before nodes had keys of their own lacks the replica keys: it is made again.
  const replicas = APPS.filter(([, , extra]) => extra.REPLICA !== undefined).length;
  const complete = existsSync(join(dir, 'trust.json')) && existsSync(replicaKeyFile(dir, replicas - 1));
  if (!complete) {
    const cli = join(ROOT, 'dist/apps/rpc-cli/apps/rpc-cli/src/main.js');
    await runStep('the bus key set', process.execPath, [cli, 'keys', dir]);
  }
  return dir;
}

/** The key of a broadcast node replica towards the node manager (`rpc-cli keys` makes them). */
function replicaKeyFile(keysDir, replica) {
  return join(keysDir, `broadcast-node-${replica}.key.json`);
}

/** The BUS_* env of one app of the dev key set; a node replica also gets its own member key. */
function busEnvOf(name, keysDir, replica) {
  if (process.env.BUS_SECURITY === 'off') return { BUS_SECURITY: 'off' };
  return {
    BUS_SECURITY: 'curve',
    BUS_KEY_FILE: join(keysDir, `${name}.key.json`),
    BUS_TRUST_FILE: join(keysDir, 'trust.json'),
    ...(replica === undefined ? {} : { BUS_MEMBER_KEY_FILE: replicaKeyFile(keysDir, replica) }),
  };
}

function startApp(name, adminPort, { REPLICA: replica, ...extraEnv }, env) {
  const entry = join(ROOT, 'dist/apps', name, 'apps', name, 'src/main.js');
  if (!existsSync(entry)) {
    complain(`${shown(entry)} is missing: run "npm run build" (or npm start without --no-build)`);
    return stopAll('an app is not built', 1);
  }
  const port = extraEnv.HTTP_PORT ?? adminPort;
  const logFile = join(RUN_DIR, `${name}-${port}.log`);
  const log = openSync(logFile, 'a');
  const app = spawnDetached(process.execPath, [entry], {
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      ...env,
      ...busEnvOf(name, env.LIVE_IM_BUS_KEYS, replica),
      ADMIN_PORT: String(adminPort),
      ...extraEnv,
    },
  });
  closeSync(log);
  Object.assign(app, { name, port, adminPort, logFile });
  started.apps.push(app);
  guard.watch('app', app.pid);
  const listening = extraEnv.HTTP_PORT
    ? `http :${extraEnv.HTTP_PORT}, admin :${adminPort}`
    : `admin :${adminPort}`;
  say(`started ${name} (pid ${app.pid}, ${listening}, log ${shown(logFile)})`);
  void app.exit.then(({ code, signal }) => {
    app.exited = true;
    guard.forget(app.pid);
    if (stopping) return;
    complain(`${name} on :${port} exited (${signal ?? `code ${code}`}); see ${shown(logFile)}`);
    void stopAll(`${name} on :${port} exited`, 1);
  });
  return undefined;
}

async function ready(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function waitAllReady() {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let waiting = started.apps;
  while (waiting.length > 0) {
    if (stopping) return stopping;
    const states = await Promise.all(waiting.map((app) => ready(app.adminPort)));
    waiting = waiting.filter((_, i) => !states[i]);
    if (waiting.length === 0) return undefined;
    if (Date.now() > deadline) {
      const ports = waiting.map((app) => `:${app.adminPort}`).join(' ');
      complain(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${ports}; see ${shown(RUN_DIR)}/`);
      return stopAll('apps not ready', 1);
    }
    await sleep(250);
  }
  return undefined;
}

/** A room to try things in; ALREADY_EXISTS on later starts is fine. */
async function createDemoRoom(apiKey) {
  try {
    const res = await fetch('http://127.0.0.1:3000/api/rooms', {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ roomId: 'demo', title: 'live-im demo room', ownerId: 'u_system' }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    if (res.ok || res.status === 409) return;
  } catch {
    // Reported below.
  }
  complain(`could not create the demo room; see ${shown(join(RUN_DIR, 'gateway-3000.log'))}`);
}

async function main() {
  const args = process.argv.slice(2);
  for (const arg of args) {
    if (arg === '--help') {
      say(USAGE);
      return;
    }
    if (arg !== '--no-build') {
      complain(`unknown argument ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (!existsSync(join(ROOT, 'node_modules'))) {
    await runStep('npm ci', 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  }
  if (!args.includes('--no-build')) {
    await runStep('the build', 'npm', ['run', 'build', '--silent'], { NX_TUI: 'false' });
  }
  guard = startGuard();
  const mode = process.env.LIVE_IM_REDIS || 'single';
  if (mode !== 'single' && mode !== 'cluster') {
    complain(`LIVE_IM_REDIS must be single or cluster, got "${mode}"`);
    process.exit(2);
  }
  const clusterNodes = mode === 'cluster' ? await ensureRedisCluster() : undefined;
  const redisUrl = clusterNodes ? process.env.REDIS_URL || 'redis://127.0.0.1:6379' : await ensureRedis();
  if (stopping) return;

  const keysDir = process.env.BUS_SECURITY === 'off' ? '' : await ensureBusKeys();
  if (stopping) return;
  const env = {
    LIVE_IM_BUS_KEYS: keysDir,
    JWT_SECRET: process.env.JWT_SECRET || hostSecret('jwt-secret', 32),
    // The key business backends and admins present to the gateway's HTTP API (x-api-key).
    API_KEY: process.env.API_KEY || hostSecret('api-key', 24),
    REDIS_URL: redisUrl,
    ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes } : {}),
    RPC_BROKER_FRONTENDS: process.env.RPC_BROKER_FRONTENDS || 'tcp://127.0.0.1:5555',
    RPC_BROKER_BACKENDS: process.env.RPC_BROKER_BACKENDS || 'tcp://127.0.0.1:5556',
    // CORS is closed by default; the page each gateway serves may call the other gateways too.
    CORS_ORIGINS: process.env.CORS_ORIGINS || gatewayOrigins(),
  };
  for (const [name, port, extraEnv] of APPS) {
    if (stopping) return;
    startApp(name, port, extraEnv, env);
  }
  await waitAllReady();
  if (stopping) return;
  await createDemoRoom(env.API_KEY);
  if (stopping) return;

  const cliEnv = keysDir
    ? `BUS_KEY_FILE=${shown(join(keysDir, 'rpc-cli.key.json'))} BUS_TRUST_FILE=${shown(join(keysDir, 'trust.json'))} `
    : 'BUS_SECURITY=off ';
  const redisLine = started.redis
    ? `every app and the redis-server started above (pid ${started.redis.pid})`
    : started.clusterNodes.length > 0
      ? 'every app and the Redis Cluster started above'
      : 'every app (the Redis it found stays)';
  say(`
live-im is running.
  demo page      http://127.0.0.1:3000/?room=demo   (also on :3001; watch as a guest, register to chat)
  gateways       http://127.0.0.1:3000 and http://127.0.0.1:3001 (Socket.IO, HTTP API)
  API docs       http://127.0.0.1:3000/api/docs   (business/admin calls need x-api-key: see ${shown(join(RUN_DIR, 'api-key'))})
  RPC broker     ${env.RPC_BROKER_FRONTENDS} (clients)  ${env.RPC_BROKER_BACKENDS} (workers)
  broadcast      node-manager tcp://127.0.0.1:5580 (members) tcp://127.0.0.1:5581 (topology)
                 nodes bn-1 (pull :5570, pub :5571) and bn-2 (pull :5572, pub :5573)
  dashboard      http://127.0.0.1:3020/dashboard/   (node-manager's admin port; /cluster is its JSON)
  health/metrics http://127.0.0.1:<port>/health/ready and /metrics on the admin ports 3010-3013,
                 3020-3022 and 3050-3051 (the gateways'); the gateways' public ports serve neither
  bus keys       ${keysDir ? `${shown(keysDir)} (CURVE on every ZeroMQ socket; the rpc CLI uses rpc-cli.key.json)` : 'none: BUS_SECURITY=off, the bus is open'}
  try            ${cliEnv}npm run rpc -- services
                 ${cliEnv}npm run rpc -- call user.guest '{}'
Ctrl-C (or SIGTERM) stops ${redisLine}.`);
  // From here the apps' exit handlers and the signal handlers decide when this script ends.
}

main().catch((error) => {
  complain(`npm start: ${error.stack || error.message}`);
  void stopAll('an error', 1);
});
