// Docker HEALTHCHECK: GET /health/live on the app's admin port; exit 0 when it answers 200.
'use strict';

// Each app's ADMIN_PORT default (its config schema), for containers that do not set ADMIN_PORT.
const DEFAULT_PORT = {
  gateway: 3050,
  'rpc-broker': 3010,
  'user-service': 3011,
  'room-service': 3012,
  'node-manager': 3020,
  'broadcast-node': 3021,
};

const port = Number(process.env.ADMIN_PORT || DEFAULT_PORT[process.env.APP]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write(`healthcheck: no admin port for APP=${process.env.APP}\n`);
  process.exit(1);
}

fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.status === 200 ? 0 : 1),
  () => process.exit(1),
);
