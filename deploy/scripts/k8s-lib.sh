# Shared by k8s-rolling-update.sh and k8s-scale.sh (sourced, not run).

# The live-im workloads as deploy/k8s renders them: kind/name per app.
declare -A K8S_WORKLOAD=(
  [rpc-broker]=statefulset/rpc-broker
  [user-service]=deployment/user-service
  [room-service]=deployment/room-service
  [node-manager]=statefulset/node-manager
  [broadcast-node]=statefulset/broadcast-node
  [gateway]=deployment/gateway
)

# Global kubectl flags (--context, --namespace) collected from the command line.
K8S_FLAGS=()
K8S_DRY_RUN=false

k8s_usage_error() { # message usage
  printf '%s\n\n%s\n' "$1" "$2" >&2
  exit 64
}

# An argument as a shell would need it typed: bare when safe, else single-quoted.
k8s_quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# Runs kubectl with the global flags; with --dry-run prints the command line instead.
kube() {
  local args=(kubectl "${K8S_FLAGS[@]}" "$@")
  if [ "$K8S_DRY_RUN" = true ]; then
    local out=() arg
    for arg in "${args[@]}"; do out+=("$(k8s_quote "$arg")"); done
    echo "${out[*]}"
  else
    "${args[@]}"
  fi
}

k8s_require_kubectl() {
  [ "$K8S_DRY_RUN" = true ] || command -v kubectl >/dev/null || {
    echo "kubectl is not on PATH (use --dry-run to only print the commands)" >&2
    exit 69
  }
}
