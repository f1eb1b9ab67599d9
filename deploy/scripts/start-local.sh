#!/usr/bin/env bash
# Starts the whole system on this host: builds, makes sure Redis answers (starting a local
# redis-server when REDIS_URL is unset and nothing answers on 6379), then runs every app and
# waits until each is ready. Ctrl-C stops them all gracefully.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib/redis.sh

[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
ensure_redis

mkdir -p tmp/run
# A development secret made on this host and kept out of git (tmp/ is ignored).
if [ -z "${JWT_SECRET:-}" ]; then
  [ -s tmp/run/jwt-secret ] || node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' > tmp/run/jwt-secret
  JWT_SECRET=$(cat tmp/run/jwt-secret)
fi
# The key business backends and admins present to the gateway's HTTP API (x-api-key).
if [ -z "${API_KEY:-}" ]; then
  [ -s tmp/run/api-key ] || node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))' > tmp/run/api-key
  API_KEY=$(cat tmp/run/api-key)
fi
export API_KEY JWT_SECRET REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export RPC_BROKER_FRONTENDS="${RPC_BROKER_FRONTENDS:-tcp://127.0.0.1:5555}"
export RPC_BROKER_BACKENDS="${RPC_BROKER_BACKENDS:-tcp://127.0.0.1:5556}"

pids=()
start() { # name port [VAR=value...]
  local name=$1 port=$2; shift 2
  env HTTP_PORT="$port" "$@" node "dist/apps/$name/apps/$name/src/main.js" >>"tmp/run/$name-$port.log" 2>&1 &
  pids+=($!)
  echo "started $name (pid $!, http :$port, log tmp/run/$name-$port.log)"
}
stop_all() {
  echo "stopping..."
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop_all INT TERM

start rpc-broker 3010
start user-service 3011 INSTANCE_ID=user-1
start room-service 3012 INSTANCE_ID=room-1
start room-service 3013 INSTANCE_ID=room-2
start node-manager 3020
start broadcast-node 3021 NODE_ID=bn-1 BCAST_PULL_BIND=tcp://127.0.0.1:5570 BCAST_PUB_BIND=tcp://127.0.0.1:5571
start broadcast-node 3022 NODE_ID=bn-2 BCAST_PULL_BIND=tcp://127.0.0.1:5572 BCAST_PUB_BIND=tcp://127.0.0.1:5573
start gateway 3000 INSTANCE_ID=gw-1
start gateway 3001 INSTANCE_ID=gw-2

ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
for port in 3010 3011 3012 3013 3020 3021 3022 3000 3001; do
  for _ in $(seq 1 100); do
    ready "http://127.0.0.1:$port/health/ready" && break
    sleep 0.2
  done
  ready "http://127.0.0.1:$port/health/ready" || { echo "app on :$port is not ready; see tmp/run/" >&2; stop_all; exit 1; }
done

# A room to try things in; ALREADY_EXISTS on later starts is fine.
node -e '
fetch("http://127.0.0.1:3000/api/rooms", {
  method: "POST",
  headers: { "x-api-key": process.env.API_KEY, "content-type": "application/json" },
  body: JSON.stringify({ roomId: "demo", title: "live-im demo room", ownerId: "u_system" }),
}).then((r) => process.exit(r.ok || r.status === 409 ? 0 : 1), () => process.exit(1));
' || echo "could not create the demo room; see tmp/run/gateway-3000.log" >&2

cat <<MSG

live-im is running.
  demo page      http://127.0.0.1:3000/?room=demo   (also on :3001; watch as a guest, register to chat)
  gateways       http://127.0.0.1:3000 and http://127.0.0.1:3001 (Socket.IO, HTTP API)
  API docs       http://127.0.0.1:3000/api/docs   (business/admin calls need x-api-key: see tmp/run/api-key)
  RPC broker     $RPC_BROKER_FRONTENDS (clients)  $RPC_BROKER_BACKENDS (workers)
  broadcast      node-manager tcp://127.0.0.1:5580 (members) tcp://127.0.0.1:5581 (topology)
                 nodes bn-1 (pull :5570, pub :5571) and bn-2 (pull :5572, pub :5573)
  cluster        http://127.0.0.1:3020/cluster
  health/metrics http://127.0.0.1:<port>/health/ready and /metrics on ports 3000-3001, 3010-3013, 3020-3022
  try            npm run rpc -- services
                 npm run rpc -- call user.guest '{}'
Ctrl-C stops everything.
MSG
wait
