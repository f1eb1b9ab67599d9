# Sourced by .ci/run: make sure a Redis answers (deploy/scripts/start-local.js does the same for
# npm start, with a redis-server it stops again).
# With REDIS_URL set, that Redis is used as it is. Otherwise 127.0.0.1:6379 is tried, and when
# nothing answers a local redis-server is started (installed with apt-get in CI when missing).

redis_answers() { # host port
  node -e '
    const s = require("net").connect(Number(process.argv[2]), process.argv[1]);
    s.setTimeout(1000);
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => process.exit(d.toString().startsWith("+PONG") ? 0 : 1));
    s.on("error", () => process.exit(1));
    s.on("timeout", () => process.exit(1));
  ' "$1" "$2"
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    echo "using REDIS_URL"
    return 0
  fi
  if redis_answers 127.0.0.1 6379; then
    echo "redis answers on 127.0.0.1:6379"
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing redis-server with apt-get"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
      echo "No Redis answers on 127.0.0.1:6379 and redis-server is not installed." >&2
      echo "Install it (Debian: sudo apt-get install -y redis-server) or set REDIS_URL=redis://host:port." >&2
      return 1
    fi
  fi
  echo "starting a local redis-server on 127.0.0.1:6379"
  mkdir -p tmp/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --dir "$PWD/tmp/redis" --logfile "$PWD/tmp/redis/redis.log"
  for _ in $(seq 1 50); do
    redis_answers 127.0.0.1 6379 && return 0
    sleep 0.1
  done
  echo "redis-server did not start; see tmp/redis/redis.log" >&2
  return 1
}
