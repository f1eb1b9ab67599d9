#!/usr/bin/env bash
# Restarts live-im on Kubernetes one app at a time and waits for each app's rollout to finish before
# the next. No call or message is lost: Deployments surge a ready pod before an old one goes
# (maxUnavailable 0), StatefulSets replace one pod at a time, and every old pod gets SIGTERM with
# time to drain (readiness turns 503 at once, terminationGracePeriodSeconds covers the 30 s drain,
# the gateway waits in preStop until its Service drops it). See deploy/k8s/README.md.
set -euo pipefail
source "$(dirname "$0")/k8s-lib.sh"

# Brokers first (clients move their calls to the others while one drains), gateways last: the same
# order as deploy/scripts/pm2-rolling-update.js.
ORDER=(rpc-broker user-service room-service node-manager broadcast-node gateway)

USAGE="usage: deploy/scripts/k8s-rolling-update.sh [options] [app ...]

Restarts every live-im app (or only the apps named, kept in the order below) with
'kubectl rollout restart' and waits for 'kubectl rollout status' after each.
apps, in order: ${ORDER[*]}

options:
  -n, --namespace NS   namespace of the deployment (default: the context's)
      --context CTX    kubeconfig context (default: the current one)
      --timeout DUR    how long one app's rollout may take (default 10m)
      --dry-run        print the kubectl commands instead of running them
  -h, --help           this text"

timeout=10m
chosen=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--namespace) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; K8S_FLAGS+=(--namespace "$2"); shift 2 ;;
    --context) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; K8S_FLAGS+=(--context "$2"); shift 2 ;;
    --timeout) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; timeout=$2; shift 2 ;;
    --dry-run) K8S_DRY_RUN=true; shift ;;
    -h|--help) echo "$USAGE"; exit 0 ;;
    -*) k8s_usage_error "unknown option $1" "$USAGE" ;;
    *)
      [ -n "${K8S_WORKLOAD[$1]:-}" ] || k8s_usage_error "unknown app \"$1\"" "$USAGE"
      chosen+=("$1"); shift ;;
  esac
done
[[ $timeout =~ ^[0-9]+[smh]?$ ]] || k8s_usage_error "--timeout must look like 300s, 10m or 1h" "$USAGE"
k8s_require_kubectl

for app in "${ORDER[@]}"; do
  if [ ${#chosen[@]} -gt 0 ] && [[ ! " ${chosen[*]} " =~ \ $app\  ]]; then continue; fi
  workload=${K8S_WORKLOAD[$app]}
  [ "$K8S_DRY_RUN" = true ] || echo "restarting $workload" >&2
  kube rollout restart "$workload"
  kube rollout status "$workload" --timeout="$timeout"
done
