#!/usr/bin/env bash
# The Helm chart on a real Kubernetes cluster, as CI runs it (make cluster-check):
#
#   1. a throwaway single-node cluster (scripts/cluster.sh) and the images, built from this tree
#      and from the previous revision (UPGRADE_FROM, default HEAD~1), copied into its node;
#   2. the previous revision's chart and images installed with charts/conclave/ci/cluster-values.yaml,
#      a permanent room made, then `helm upgrade` to this tree's chart and images; the room
#      still takes joins;
#   3. `helm test`;
#   4. the browser tests on the cluster (test/security/src/cluster): a three-browser meeting
#      through the web Service that survives deleting API and DS pods, the metadata audit of
#      every pod, and an SFU DaemonSet rollout that drains;
#   5. `kubectl drain` of the node: every PodDisruptionBudget holds, then the node comes back;
#   and everything torn down whatever happened (CLUSTER_KEEP=1 leaves it running for a look).
#
# Needs root and a Docker engine (images are built there, then copied into the node). With
# STACK_STAND_INS=1 the base images are CI's stand-ins (deploy/stack/stand-in-images.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
PATH="$(scripts/ensure-node.sh):$(scripts/install-tools.sh):$PATH"
export PATH
namespace=conclave
release=conclave
front_port=19443
work="${TMPDIR:-/tmp}/conclave-cluster-check"
values=charts/conclave/ci/cluster-values.yaml
start=$(date +%s)
say() { echo "cluster-check: $*"; }
step() { say "$1 ($(($(date +%s) - start)) s)"; }

deploy/stack/docker-engine.sh start
cleanup() {
  local status=$?
  [ -z "${front_pid:-}" ] || kill "$front_pid" 2>/dev/null || true
  if [ "${CLUSTER_KEEP:-0}" != 1 ]; then
    scripts/cluster.sh stop || true
    [ -z "${old:-}" ] || { git worktree remove --force "$old" 2>/dev/null || true; }
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
rm -rf "$work" && mkdir -p "$work"

if [ "${STACK_STAND_INS:-0}" = 1 ]; then eval "$(deploy/stack/stand-in-images.sh)"; fi
postgres_image="${CONCLAVE_POSTGRES_IMAGE:-postgres:17-bookworm}"
redis_image="${CONCLAVE_REDIS_IMAGE:-redis:7.4-bookworm}"

build_images() { # TREE TAG
  local svc args=()
  [ -z "${NODE_IMAGE:-}" ] || args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
  [ -z "${CADDY_IMAGE:-}" ] || args+=(--build-arg "CADDY_IMAGE=$CADDY_IMAGE")
  for svc in api mls-ds sfu web; do
    docker build -q "${args[@]}" -f "$1/services/$svc/Dockerfile" -t "conclave/$svc:$2" "$1" >/dev/null
  done
}

# --- 1. the cluster and the images -----------------------------------------------------------
scripts/cluster.sh start
eval "$(scripts/cluster.sh env)"
step "cluster up"
build_images "$root" ci
upgrade_from="${UPGRADE_FROM:-HEAD~1}"
old="$work/previous"
git worktree add -q --detach "$old" "$upgrade_from"
build_images "$old" previous
step "images of this tree and of $upgrade_from ($(git rev-parse --short "$upgrade_from")) built"
images=("$postgres_image" "$redis_image")
for svc in api mls-ds sfu web; do images+=("conclave/$svc:ci" "conclave/$svc:previous"); done
scripts/cluster.sh load "${images[@]}"
step "images copied into the node"

# --- 2. the previous chart, a permanent room, the upgrade --------------------------------------
kubectl create namespace "$namespace"
scripts/gen-secrets.sh --kubernetes conclave-secrets | kubectl -n "$namespace" apply -f - >/dev/null
# The previous revision's values file where it has one (its schema may not know newer keys).
old_values="$old/$values"; [ -f "$old_values" ] || old_values="$values"
helm_args=(--set "postgresql.image=$postgres_image" --set "redis.image=$redis_image")
if ! helm install "$release" "$old/charts/conclave" -n "$namespace" -f "$old_values" "${helm_args[@]}" \
  --set image.tag=previous --wait --timeout 6m >"$work/install.log" 2>&1; then
  cat "$work/install.log"; kubectl -n "$namespace" get pods -o wide; exit 1
fi
deploy/cluster/settled.sh "$namespace" "$release"
step "$upgrade_from's chart installed, every pod Ready"

# The ingress controller's part, played by Caddy on the node: TLS for https://localhost:19443
# (its internal CA), proxied to the web Service. No access log. Browsers resolve "localhost"
# themselves; Node and curl are sent to 127.0.0.1, which the certificate names too, because a
# bare machine's /etc/hosts may not list localhost.
web_ip="$(kubectl -n "$namespace" get service "$release-web" -o jsonpath='{.spec.clusterIP}')"
cat >"$work/Caddyfile" <<EOF
{
	admin off
	skip_install_trust
	storage file_system $work/caddy
	auto_https disable_redirects
}
https://localhost:$front_port, https://127.0.0.1:$front_port {
	tls internal
	reverse_proxy $web_ip:8080
}
EOF
nohup caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/front.log" 2>&1 &
front_pid=$!
ca="$work/caddy/pki/authorities/local/root.crt"
api="https://127.0.0.1:$front_port"
for _ in $(seq 30); do [ -f "$ca" ] && curl -sf --cacert "$ca" "$api/healthz" >/dev/null && break; sleep 1; done
export NODE_EXTRA_CA_CERTS="$ca"
url="https://localhost:$front_port"
# The permanent room takes a full SRP join (it must after every operation below).
join_room() { node deploy/stack/room.mjs join --api "$api" --file "$work/room.json"; }
node deploy/stack/room.mjs create --api "$api" --file "$work/room.json"
join_room

t0=$(date +%s)
if ! helm upgrade "$release" charts/conclave -n "$namespace" -f "$values" "${helm_args[@]}" \
  --wait --timeout 6m >"$work/upgrade.log" 2>&1; then
  cat "$work/upgrade.log"; kubectl -n "$namespace" get pods -o wide; exit 1
fi
deploy/cluster/settled.sh "$namespace" "$release"
join_room
step "helm upgrade to this tree in $(($(date +%s) - t0)) s; the permanent room takes joins"

# --- 3. helm test ---------------------------------------------------------------------------
helm test "$release" -n "$namespace" --logs --timeout 3m
step "helm test passed"

# --- 4. the browser tests ---------------------------------------------------------------------
cat >"$work/env" <<EOF
export CLUSTER_URL=$url
export CLUSTER_CA=$ca
export CLUSTER_NAMESPACE=$namespace
export CLUSTER_RELEASE=$release
$(scripts/cluster.sh env)
EOF
# shellcheck disable=SC1091
source "$work/env"
npm run --silent cluster -w @conclave/security-tests
step "browser tests on the cluster passed"

# --- 5. a node drain against the PodDisruptionBudgets ------------------------------------------
deploy/cluster/drain.sh "$namespace" "$release"
join_room
step "node drained and back; the permanent room takes joins"
