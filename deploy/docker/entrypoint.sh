#!/bin/sh
# Runs the service named by APP from the built dist/ entries, refusing unknown names.
# `entrypoint.sh --check` only validates APP and that its entry exists (used at image build).
set -eu

case "${APP:-}" in
  rpc-broker|user-service|room-service|node-manager|broadcast-node|gateway) ;;
  *)
    echo "APP must be one of: rpc-broker user-service room-service node-manager broadcast-node gateway (got '${APP:-}')" >&2
    exit 64
    ;;
esac

entry="dist/apps/${APP}/apps/${APP}/src/main.js"
if [ ! -f "$entry" ]; then
  echo "$entry is missing from the image: the build stage did not produce ${APP}" >&2
  exit 66
fi

if [ "${1:-}" = "--check" ]; then
  exit 0
fi

# exec: node becomes PID 1 and receives the container's SIGTERM itself.
exec node "$entry" "$@"
