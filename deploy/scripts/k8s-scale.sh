#!/usr/bin/env bash
# Scales one live-im app on Kubernetes and waits until every replica is ready.
# gateway and room-service are sized by their HorizontalPodAutoscalers: for them the count becomes
# the autoscaler's floor (minReplicas), and CPU may add more. The brokers and the node manager are
# not scaled here (see the refusals below and deploy/k8s/README.md).
set -euo pipefail
source "$(dirname "$0")/k8s-lib.sh"

SCALABLE=(gateway room-service user-service broadcast-node)
declare -A AUTOSCALED=([gateway]=1 [room-service]=1)
MAX_REPLICAS=100

USAGE="usage: deploy/scripts/k8s-scale.sh [options] APP REPLICAS

APP: ${SCALABLE[*]}
REPLICAS: 1 to $MAX_REPLICAS. For gateway and room-service it becomes the autoscaler's
minReplicas (CPU may add more); the others get exactly that many pods.

options:
  -n, --namespace NS   namespace of the deployment (default: the context's)
      --context CTX    kubeconfig context (default: the current one)
      --max N          gateway, room-service: also set the autoscaler's maxReplicas
      --timeout DUR    how long to wait for the pods to be ready (default 5m)
      --dry-run        print the kubectl commands instead of running them
  -h, --help           this text"

timeout=5m
max=""
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--namespace) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; K8S_FLAGS+=(--namespace "$2"); shift 2 ;;
    --context) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; K8S_FLAGS+=(--context "$2"); shift 2 ;;
    --max) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; max=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || k8s_usage_error "$1 needs a value" "$USAGE"; timeout=$2; shift 2 ;;
    --dry-run) K8S_DRY_RUN=true; shift ;;
    -h|--help) echo "$USAGE"; exit 0 ;;
    -*) k8s_usage_error "unknown option $1" "$USAGE" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -eq 2 ] || k8s_usage_error "expected APP and REPLICAS" "$USAGE"
app=${positional[0]}
replicas=${positional[1]}

case "$app" in
  rpc-broker)
    k8s_usage_error "rpc-broker is not scaled here: every client connects to each broker listed in live-im-config
(RPC_BROKER_FRONTENDS, RPC_BROKER_BACKENDS). Change the overlay's rpc-broker replicas and both lists
together, then kubectl apply -k (deploy/k8s/README.md)." "$USAGE" ;;
  node-manager)
    k8s_usage_error "node-manager runs exactly one instance: a second would split the broadcast cluster" "$USAGE" ;;
esac
[[ " ${SCALABLE[*]} " =~ \ $app\  ]] || k8s_usage_error "unknown app \"$app\"" "$USAGE"
in_range() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$MAX_REPLICAS" ]; }
in_range "$replicas" || k8s_usage_error "REPLICAS must be an integer from 1 to $MAX_REPLICAS, got \"$replicas\"" "$USAGE"
if [ -n "$max" ]; then
  [ -n "${AUTOSCALED[$app]:-}" ] || k8s_usage_error "--max applies to gateway and room-service only" "$USAGE"
  in_range "$max" && [ "$max" -ge "$replicas" ] || k8s_usage_error "--max must be from REPLICAS to $MAX_REPLICAS" "$USAGE"
fi
[[ $timeout =~ ^[0-9]+[smh]?$ ]] || k8s_usage_error "--timeout must look like 300s, 5m or 1h" "$USAGE"
k8s_require_kubectl

workload=${K8S_WORKLOAD[$app]}
if [ -n "${AUTOSCALED[$app]:-}" ]; then
  # The API server refuses a minReplicas above the autoscaler's maxReplicas: raise it with --max.
  patch="{\"spec\":{\"minReplicas\":$replicas${max:+,\"maxReplicas\":$max}}}"
  kube patch "horizontalpodautoscaler/$app" --type=merge --patch "$patch"
  # The autoscaler applies its new floor on its next sync (15 s by default); wait until it has.
  if [ "$K8S_DRY_RUN" = true ]; then
    kube get "$workload" --output=jsonpath='{.spec.replicas}'
  else
    deadline=$((SECONDS + 120))
    until [ "$(kube get "$workload" --output=jsonpath='{.spec.replicas}')" -ge "$replicas" ]; do
      [ $SECONDS -lt $deadline ] || { echo "the autoscaler did not raise $workload to $replicas within 120 s" >&2; exit 1; }
      sleep 2
    done
  fi
else
  kube scale "$workload" --replicas="$replicas"
fi
kube rollout status "$workload" --timeout="$timeout"
