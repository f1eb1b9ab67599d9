// The whole live-im system on one host under pm2, from the built dist/ entries
// (`npm run build` first):
//
//   JWT_SECRET=... API_KEY=... npx pm2 start deploy/pm2/ecosystem.config.js
//
// Secrets are never invented here: JWT_SECRET (>= 32 chars) and API_KEY (>= 16 chars) must be in
// the environment, and so must LIVE_IM_BUS_KEYS, the folder of the bus key set (`npm run keys --
// <folder>` makes one: <app>.key.json per kind, broadcast-node-<i>.key.json per node replica and
// trust.json). LIVE_IM_BUS_SECURITY=off runs the
// bus without CURVE, for local experiments only (every app logs a warning at boot). How many instances of each kind run is set by LIVE_IM_BROKERS (default 2),
// LIVE_IM_USER_SERVICES (2), LIVE_IM_ROOM_SERVICES (2), LIVE_IM_BROADCAST_NODES (2) and
// LIVE_IM_GATEWAYS (2); deploy/scripts/pm2-scale.js changes them on a running system and
// deploy/scripts/pm2-rolling-update.js restarts everything one instance at a time.
// Every port is LIVE_IM_PORT_BASE (default 3000) + a fixed offset (PORTS below), so another base
// moves every HTTP port and every ZeroMQ bind and connect together. Only the gateways' HTTP_PORT is
// public; every app's ADMIN_PORT (probes, /metrics, node-manager's /cluster and /dashboard/) binds
// ADMIN_HOST (default 127.0.0.1). Logs go to tmp/pm2-logs (LIVE_IM_PM2_LOG_DIR).
'use strict';

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const DEFAULT_PORT_BASE = 3000;

/**
 * Per kind: the most instances the port layout has room for, and the offsets of instance 1 (each
 * further instance adds `step`). Public HTTP: gateways 0-7. Admin HTTP: brokers 10-12,
 * node-manager 20, broadcast nodes 21-28, user-service 30-33, room-service 40-47, gateways 50-57.
 * ZeroMQ: brokers 2555-2560, broadcast nodes 2570-2585, node-manager 2590-2591.
 */
const KINDS = {
  gateway: { max: 8, countVar: 'LIVE_IM_GATEWAYS', http: 0, admin: 50 },
  'rpc-broker': {
    max: 3,
    countVar: 'LIVE_IM_BROKERS',
    admin: 10,
    zmq: { frontend: 2555, backend: 2556 },
    step: 2,
  },
  'node-manager': { max: 1, admin: 20, zmq: { router: 2590, pub: 2591 } },
  'broadcast-node': {
    max: 8,
    countVar: 'LIVE_IM_BROADCAST_NODES',
    admin: 21,
    zmq: { pull: 2570, pub: 2571 },
    step: 2,
  },
  'user-service': { max: 4, countVar: 'LIVE_IM_USER_SERVICES', admin: 30 },
  'room-service': { max: 8, countVar: 'LIVE_IM_ROOM_SERVICES', admin: 40 },
};
const HIGHEST_OFFSET = 2591;
const DEFAULT_COUNT = 2;

const env = process.env;
// One log file per app (stdout and stderr merged), each line a JSON object.
const LOG_DIR = env.LIVE_IM_PM2_LOG_DIR || join(ROOT, 'tmp/pm2-logs');

function fail(message) {
  throw new Error(`deploy/pm2/ecosystem.config.js: ${message}`);
}

function requireSecret(name, minLength, hint) {
  const value = env[name];
  if (!value) fail(`${name} is not set; export it before starting (${hint})`);
  if (value.length < minLength) fail(`${name} must be at least ${minLength} characters`);
  return value;
}

function portBase() {
  const raw = env.LIVE_IM_PORT_BASE;
  if (raw === undefined || raw === '') return DEFAULT_PORT_BASE;
  const base = Number(raw);
  const highest = 65535 - HIGHEST_OFFSET;
  if (!Number.isInteger(base) || base < 1024 || base > highest) {
    fail(`LIVE_IM_PORT_BASE must be an integer from 1024 to ${highest}, got "${raw}"`);
  }
  return base;
}

const JWT_SECRET = requireSecret(
  'JWT_SECRET',
  32,
  'e.g. node -e "console.log(crypto.randomBytes(32).toString(\'hex\'))"',
);
const API_KEY = requireSecret('API_KEY', 16, 'the x-api-key business backends present to the gateway');
const base = portBase();

/** A key file of the set in LIVE_IM_BUS_KEYS, which must exist. */
function busKeyFile(name, hint) {
  const dir = env.LIVE_IM_BUS_KEYS;
  if (!dir)
    fail('LIVE_IM_BUS_KEYS is not set; make a bus key set with `npm run keys -- <folder>` and export it');
  const keyFile = join(dir, `${name}.key.json`);
  if (!existsSync(keyFile)) fail(`${keyFile} is missing: ${hint}`);
  return keyFile;
}

/**
 * The BUS_* env of one instance: its kind's key pair file and the shared trust list, or the bus
 * security off. Broadcast node i (1-based) also gets replica key broadcast-node-<i-1>, its own
 * towards the node manager, so no node can claim another's id.
 */
function busEnvOf(kind, i) {
  if (env.LIVE_IM_BUS_SECURITY === 'off') return { BUS_SECURITY: 'off' };
  const keyFile = busKeyFile(kind, 'LIVE_IM_BUS_KEYS must hold a key set from `npm run keys`');
  const bus = {
    BUS_SECURITY: 'curve',
    BUS_KEY_FILE: keyFile,
    BUS_TRUST_FILE: join(env.LIVE_IM_BUS_KEYS, 'trust.json'),
  };
  if (kind !== 'broadcast-node') return bus;
  const memberKeyFile = busKeyFile(
    `broadcast-node-${i - 1}`,
    `broadcast node ${i} needs its own key; make a set with at least ${i} node keys (\`npm run keys -- <folder> --nodes ${i}\`)`,
  );
  return { ...bus, BUS_MEMBER_KEY_FILE: memberKeyFile };
}
const zmqHost = env.LIVE_IM_ZMQ_HOST || '127.0.0.1';

function count(kind) {
  const { countVar, max } = KINDS[kind];
  const raw = countVar ? env[countVar] : undefined;
  if (raw === undefined || raw === '') return Math.min(DEFAULT_COUNT, max);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    fail(`${countVar} must be an integer from 1 to ${max}, got "${raw}"`);
  return n;
}

/** Instance numbers 1..count of a kind. */
const instances = (kind) => Array.from({ length: count(kind) }, (_, i) => i + 1);
const httpPort = (kind, i) => base + KINDS[kind].http + (i - 1);
const adminPort = (kind, i) => base + KINDS[kind].admin + (i - 1);
/**
 * CORS is closed by default: the origins allowed to call the gateways cross-origin are CORS_ORIGINS
 * when set, else the gateways' own pages (each may call the others), by both loopback names.
 */
const corsOrigins =
  env.CORS_ORIGINS ||
  instances('gateway')
    .map((i) => httpPort('gateway', i))
    .flatMap((port) => [`http://127.0.0.1:${port}`, `http://localhost:${port}`])
    .join(',');
const tcp = (kind, socket, i = 1) =>
  `tcp://${zmqHost}:${base + KINDS[kind].zmq[socket] + (i - 1) * (KINDS[kind].step ?? 0)}`;

// ZeroMQ wiring shared by the clients of the brokers and the members of the broadcast cluster.
// Clients and workers connect to every broker.
const brokerFrontends = instances('rpc-broker')
  .map((i) => tcp('rpc-broker', 'frontend', i))
  .join(',');
const brokerBackends = instances('rpc-broker')
  .map((i) => tcp('rpc-broker', 'backend', i))
  .join(',');
const managerRouter = tcp('node-manager', 'router');
const managerPub = tcp('node-manager', 'pub');

const common = {
  NODE_ENV: env.NODE_ENV || 'production',
  LOG_LEVEL: env.LOG_LEVEL || 'info',
  ADMIN_HOST: env.ADMIN_HOST || '127.0.0.1',
  REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
  // A Redis Cluster's seed nodes win over REDIS_URL (README, Configuration).
  ...(env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES } : {}),
  ...(env.REDIS_KEY_PREFIX ? { REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX } : {}),
  ...(env.REGION ? { REGION: env.REGION } : {}),
};

/** Where an app listens: its admin port, and for a gateway its public HTTP port too. */
function listenEnv(kind, i) {
  const admin = { ADMIN_PORT: String(adminPort(kind, i)) };
  if (KINDS[kind].http === undefined) return admin;
  return { HTTP_HOST: env.HTTP_HOST || '127.0.0.1', HTTP_PORT: String(httpPort(kind, i)), ...admin };
}

/** One pm2 process of a built app: `<kind>-<i>`, or just the kind for a singleton. */
function app(kind, i, appEnv) {
  const name = KINDS[kind].max === 1 ? kind : `${kind}-${i}`;
  return {
    name,
    script: join(ROOT, 'dist/apps', kind, 'apps', kind, 'src/main.js'),
    cwd: ROOT,
    exec_mode: 'fork',
    instances: 1,
    env: { ...common, ...busEnvOf(kind, i), ...listenEnv(kind, i), ...appEnv },
    // Apps drain on SIGTERM/SIGINT and exit 0 within their own 30 s limit; pm2 waits a bit longer.
    kill_timeout: 35_000,
    // Any exit pm2 did not ask for is restarted: a crash, and a death by signal (kill -9, the OOM
    // killer), which pm2 reports as exit code 0. So no stop_exit_codes: with [0] those were never
    // restarted. `pm2 stop`/`delete`/`kill` mark the app stopping first, and pm2 never restarts that.
    autorestart: true,
    // A crash-looping app (e.g. Redis down) backs off from 200 ms, x1.5 a time, up to pm2's 15 s
    // ceiling; 30 s up resets it.
    exp_backoff_restart_delay: 200,
    // json: pm2 wraps every line (the apps' pino JSON, and plain stderr such as a config error)
    // in an object with app_name, type (out/err) and timestamp.
    merge_logs: true,
    log_type: 'json',
    out_file: join(LOG_DIR, `${name}.log`),
    error_file: join(LOG_DIR, `${name}.log`),
  };
}

const cluster = { NM_ROUTER: managerRouter, NM_PUB: managerPub };

module.exports = {
  apps: [
    ...instances('rpc-broker').map((i) =>
      app('rpc-broker', i, {
        BROKER_ID: `broker-${i}`,
        RPC_FRONTEND_BIND: tcp('rpc-broker', 'frontend', i),
        RPC_BACKEND_BIND: tcp('rpc-broker', 'backend', i),
      }),
    ),
    ...instances('user-service').map((i) =>
      app('user-service', i, { INSTANCE_ID: `user-${i}`, RPC_BROKER_BACKENDS: brokerBackends, JWT_SECRET }),
    ),
    ...instances('room-service').map((i) =>
      app('room-service', i, {
        INSTANCE_ID: `room-${i}`,
        RPC_BROKER_BACKENDS: brokerBackends,
        RPC_BROKER_FRONTENDS: brokerFrontends,
        ...cluster,
      }),
    ),
    app('node-manager', 1, { NM_ROUTER_BIND: managerRouter, NM_PUB_BIND: managerPub }),
    ...instances('broadcast-node').map((i) =>
      app('broadcast-node', i, {
        INSTANCE_ID: `bn-${i}`,
        NODE_ID: `bn-${i}`,
        BCAST_PULL_BIND: tcp('broadcast-node', 'pull', i),
        BCAST_PUB_BIND: tcp('broadcast-node', 'pub', i),
        ...cluster,
      }),
    ),
    ...instances('gateway').map((i) =>
      app('gateway', i, {
        INSTANCE_ID: `gw-${i}`,
        RPC_BROKER_FRONTENDS: brokerFrontends,
        ...cluster,
        API_KEY,
        CORS_ORIGINS: corsOrigins,
      }),
    ),
  ],
};
