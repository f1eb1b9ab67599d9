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
export JWT_SECRET REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
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

ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
for port in 3010 3011 3012 3013 3020 3021 3022; do
  for _ in $(seq 1 100); do
    ready "http://127.0.0.1:$port/health/ready" && break
    sleep 0.2
  done
  ready "http://127.0.0.1:$port/health/ready" || { echo "app on :$port is not ready; see tmp/run/" >&2; stop_all; exit 1; }
done

cat <<MSG

live-im is running.
  RPC broker     $RPC_BROKER_FRONTENDS (clients)  $RPC_BROKER_BACKENDS (workers)
  broadcast      node-manager tcp://127.0.0.1:5580 (members) tcp://127.0.0.1:5581 (topology)
                 nodes bn-1 (pull :5570, pub :5571) and bn-2 (pull :5572, pub :5573)
  cluster        http://127.0.0.1:3020/cluster
  health/metrics http://127.0.0.1:<port>/health/ready and /metrics on ports 3010-3013, 3020-3022
  try            npm run rpc -- services
                 npm run rpc -- call user.guest '{}'
Ctrl-C stops everything.
MSG
wait
