// What the manifests must agree with in the apps themselves. Kept as plain data (the checker
// imports nothing from the TypeScript sources); apps/deploy-check's spec compares SERVED_PATHS with
// the routes of libs/health/src/health.controller.ts, and GETs each probe path from a running app.

/** Every path the HTTP side of every app serves (libs/health HealthController). */
export const SERVED_PATHS = ['/health/live', '/health/ready', '/metrics'];

/** The path each probe of an app container must use: liveness never depends on Redis or peers. */
export const PROBE_PATHS = {
  startupProbe: '/health/live',
  livenessProbe: '/health/live',
  readinessProbe: '/health/ready',
};

/** Longest an app takes to drain and exit after SIGTERM (libs/bootstrap run-app.ts). */
export const APP_SHUTDOWN_SEC = 30;

/**
 * Per app (the container is named after it): the variables it must be given, mirroring
 * deploy/pm2/ecosystem.config.js. Every app also needs APP, HTTP_HOST and HTTP_PORT.
 */
export const APP_ENV = {
  'rpc-broker': ['BROKER_ID', 'RPC_FRONTEND_BIND', 'RPC_BACKEND_BIND'],
  'user-service': ['INSTANCE_ID', 'RPC_BROKER_BACKENDS', 'JWT_SECRET', 'REDIS_URL'],
  'room-service': [
    'INSTANCE_ID',
    'RPC_BROKER_BACKENDS',
    'RPC_BROKER_FRONTENDS',
    'NM_ROUTER',
    'NM_PUB',
    'REDIS_URL',
  ],
  'node-manager': ['NM_ROUTER_BIND', 'NM_PUB_BIND'],
  'broadcast-node': ['NODE_ID', 'BCAST_PULL_BIND', 'BCAST_PUB_BIND', 'NM_ROUTER', 'NM_PUB'],
  gateway: ['INSTANCE_ID', 'RPC_BROKER_FRONTENDS', 'NM_ROUTER', 'NM_PUB', 'API_KEY', 'REDIS_URL'],
};

/** CURVE on the bus: every app reads its key pair and the trust list (Secret live-im-bus-keys). */
export const COMMON_ENV = ['APP', 'HTTP_HOST', 'HTTP_PORT', 'BUS_KEY_FILE', 'BUS_TRUST_FILE'];

/**
 * Lists naming every broker: a client or worker that misses one never gets that broker's calls.
 * Such a list must name every ordinal of the StatefulSet it points at.
 */
export const EVERY_MEMBER_LISTS = ['RPC_BROKER_FRONTENDS', 'RPC_BROKER_BACKENDS'];
