// What the manifests must agree with in the apps themselves. Kept as plain data (the checker
// imports nothing from the TypeScript sources); apps/deploy-check's spec compares SERVED_PATHS with
// the routes of libs/health/src/health.controller.ts, and GETs each probe path from a running app.

/** Every path the admin listener of every app serves (libs/health HealthController). */
export const SERVED_PATHS = ['/health/live', '/health/ready', '/metrics'];

/** The container port every app serves SERVED_PATHS on: probes and Prometheus use it, nothing else. */
export const ADMIN_PORT_NAME = 'admin';

/** Apps with a public HTTP listener (HTTP_PORT, container port `http`) beside the admin one. */
export const PUBLIC_HTTP_APPS = ['gateway'];

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
 * deploy/pm2/ecosystem.config.js. Every app also needs APP, ADMIN_HOST and ADMIN_PORT, and an app
 * of PUBLIC_HTTP_APPS HTTP_HOST and HTTP_PORT.
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
  // BUS_MEMBER_KEY_FILE: each replica's own key towards the node manager.
  'broadcast-node': [
    'NODE_ID',
    'BCAST_PULL_BIND',
    'BCAST_PUB_BIND',
    'NM_ROUTER',
    'NM_PUB',
    'BUS_MEMBER_KEY_FILE',
  ],
  gateway: ['INSTANCE_ID', 'RPC_BROKER_FRONTENDS', 'NM_ROUTER', 'NM_PUB', 'API_KEY', 'REDIS_URL'],
};

/** CURVE on the bus: every app reads its key pair and the trust list (Secret live-im-bus-keys). */
export const COMMON_ENV = ['APP', 'ADMIN_HOST', 'ADMIN_PORT', 'BUS_KEY_FILE', 'BUS_TRUST_FILE'];
export const PUBLIC_HTTP_ENV = ['HTTP_HOST', 'HTTP_PORT'];

/**
 * Who may open a connection to each port of each app (by container port name), and nobody else:
 * `anyone`, `monitoring` (Prometheus in MONITORING's namespace), or the apps (pod label
 * app.kubernetes.io/name) that connect to it. Broadcast nodes learn each other's and the publishers'
 * endpoints from node-manager at run time, so those needs are stated here rather than derived from
 * the environment; the brokers', node-manager's and Redis's are also derived from it (network.mjs).
 */
export const INGRESS = {
  gateway: { http: 'anyone', admin: 'monitoring' },
  'rpc-broker': {
    // rpc-cli: an operator's pod of that name (../README.md, Network policies).
    'zmq-frontend': ['gateway', 'room-service', 'rpc-cli'],
    'zmq-backend': ['room-service', 'user-service'],
    admin: 'monitoring',
  },
  'broadcast-node': {
    // Publishers PUSH in; relays are broadcast nodes that forward a region's rooms.
    'zmq-pull': ['broadcast-node', 'room-service'],
    // Subscribers: gateways, and relays upstream.
    'zmq-pub': ['broadcast-node', 'gateway'],
    admin: 'monitoring',
  },
  'node-manager': {
    'zmq-router': ['broadcast-node', 'gateway', 'room-service'],
    'zmq-pub': ['broadcast-node', 'gateway', 'room-service'],
    admin: 'monitoring',
  },
  'user-service': { admin: 'monitoring' },
  'room-service': { admin: 'monitoring' },
};

/** Pods that are not rendered but that policies may name: the operator's RPC CLI. */
export const EXTERNAL_PEERS = ['rpc-cli'];

/** Where Prometheus runs: the only peer of every admin port. */
export const MONITORING = { namespace: 'monitoring', app: 'prometheus' };

/**
 * Lists naming every broker: a client or worker that misses one never gets that broker's calls.
 * Such a list must name every ordinal of the StatefulSet it points at.
 */
export const EVERY_MEMBER_LISTS = ['RPC_BROKER_FRONTENDS', 'RPC_BROKER_BACKENDS'];
