// The whole live-im system on one host under pm2, from the built dist/ entries
// (`npm run build` first):
//
//   JWT_SECRET=... API_KEY=... npx pm2 start deploy/pm2/ecosystem.config.js
//
// Secrets are never invented here: JWT_SECRET (>= 32 chars) and API_KEY (>= 16 chars) must be in
// the environment. Every port is LIVE_IM_PORT_BASE + a fixed offset; the default base 3000 gives
// the layout of deploy/scripts/start-local.sh (HTTP 3000-3022, ZeroMQ 5555-5581), another base
// moves every HTTP port and every ZeroMQ bind and connect together. Logs go to tmp/pm2-logs
// (LIVE_IM_PM2_LOG_DIR).
'use strict';

const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const DEFAULT_PORT_BASE = 3000;

/** Offsets from LIVE_IM_PORT_BASE; the highest (2581) bounds the base so every port stays valid. */
const OFFSET = {
  gateway1Http: 0,
  gateway2Http: 1,
  brokerHttp: 10,
  userHttp: 11,
  room1Http: 12,
  room2Http: 13,
  managerHttp: 20,
  node1Http: 21,
  node2Http: 22,
  brokerFrontend: 2555,
  brokerBackend: 2556,
  node1Pull: 2570,
  node1Pub: 2571,
  node2Pull: 2572,
  node2Pub: 2573,
  managerRouter: 2580,
  managerPub: 2581,
};

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
  const highest = 65535 - Math.max(...Object.values(OFFSET));
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
const port = (name) => base + OFFSET[name];
const zmqHost = env.LIVE_IM_ZMQ_HOST || '127.0.0.1';
const tcp = (name) => `tcp://${zmqHost}:${port(name)}`;

// ZeroMQ wiring shared by the clients of the broker and the members of the broadcast cluster.
const brokerFrontends = tcp('brokerFrontend');
const brokerBackends = tcp('brokerBackend');
const managerRouter = tcp('managerRouter');
const managerPub = tcp('managerPub');

const common = {
  NODE_ENV: env.NODE_ENV || 'production',
  LOG_LEVEL: env.LOG_LEVEL || 'info',
  HTTP_HOST: env.HTTP_HOST || '127.0.0.1',
  REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
  ...(env.REDIS_KEY_PREFIX ? { REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX } : {}),
  ...(env.REGION ? { REGION: env.REGION } : {}),
};

/** One pm2 process of a built app. */
function app(name, appName, httpPortName, appEnv) {
  return {
    name,
    script: join(ROOT, 'dist/apps', appName, 'apps', appName, 'src/main.js'),
    cwd: ROOT,
    exec_mode: 'fork',
    instances: 1,
    env: { ...common, HTTP_PORT: String(port(httpPortName)), ...appEnv },
    // Apps drain on SIGTERM/SIGINT and exit 0 within their own 30 s limit; pm2 waits a bit longer.
    kill_timeout: 35_000,
    autorestart: true,
    // A crash-looping app (e.g. Redis down) backs off from 200 ms up to pm2's 15 s ceiling.
    exp_backoff_restart_delay: 200,
    // A clean exit (code 0) is a stop, not a crash to restart.
    stop_exit_codes: [0],
    // json: pm2 wraps every line (the apps' pino JSON, and plain stderr such as a config error)
    // in an object with app_name, type (out/err) and timestamp.
    merge_logs: true,
    log_type: 'json',
    out_file: join(LOG_DIR, `${name}.log`),
    error_file: join(LOG_DIR, `${name}.log`),
  };
}

module.exports = {
  apps: [
    app('rpc-broker', 'rpc-broker', 'brokerHttp', {
      RPC_FRONTEND_BIND: brokerFrontends,
      RPC_BACKEND_BIND: brokerBackends,
    }),
    app('user-service-1', 'user-service', 'userHttp', {
      INSTANCE_ID: 'user-1',
      RPC_BROKER_BACKENDS: brokerBackends,
      JWT_SECRET,
    }),
    ...[1, 2].map((i) =>
      app(`room-service-${i}`, 'room-service', `room${i}Http`, {
        INSTANCE_ID: `room-${i}`,
        RPC_BROKER_BACKENDS: brokerBackends,
        RPC_BROKER_FRONTENDS: brokerFrontends,
        NM_ROUTER: managerRouter,
        NM_PUB: managerPub,
      }),
    ),
    app('node-manager', 'node-manager', 'managerHttp', {
      NM_ROUTER_BIND: managerRouter,
      NM_PUB_BIND: managerPub,
    }),
    ...[1, 2].map((i) =>
      app(`broadcast-node-${i}`, 'broadcast-node', `node${i}Http`, {
        INSTANCE_ID: `bn-${i}`,
        NODE_ID: `bn-${i}`,
        BCAST_PULL_BIND: tcp(`node${i}Pull`),
        BCAST_PUB_BIND: tcp(`node${i}Pub`),
        NM_ROUTER: managerRouter,
        NM_PUB: managerPub,
      }),
    ),
    ...[1, 2].map((i) =>
      app(`gateway-${i}`, 'gateway', `gateway${i}Http`, {
        INSTANCE_ID: `gw-${i}`,
        RPC_BROKER_FRONTENDS: brokerFrontends,
        NM_ROUTER: managerRouter,
        NM_PUB: managerPub,
        API_KEY,
      }),
    ),
  ],
};
