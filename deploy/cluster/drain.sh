#!/usr/bin/env bash
# `kubectl drain` of the cluster's only node against the chart's PodDisruptionBudgets, as an
# operator's node maintenance would go (deploy/cluster/check.sh runs it):
#
#   - every pod that may go is evicted: PostgreSQL, Redis, CoreDNS and, of the API, DS and web
#     Deployments, one replica each;
#   - the last replica of each is refused eviction by its budget (minAvailable 1), so the drain
#     cannot finish: it must time out with a running pod of each left on the node. (The API and
#     DS pods left are not Ready while the bundled PostgreSQL and Redis they need are evicted
#     too, on a one-node cluster: the budget keeps the pod, not its dependencies.)
#   - the node is uncordoned and every Deployment and StatefulSet is whole again.
#
#   deploy/cluster/drain.sh NAMESPACE RELEASE      (KUBECONFIG from scripts/cluster.sh env)
set -euo pipefail
namespace="${1:?usage: drain.sh NAMESPACE RELEASE}"
release="${2:?usage: drain.sh NAMESPACE RELEASE}"
node="${CLUSTER_NODE:-$(kubectl get nodes -o jsonpath='{.items[0].metadata.name}')}"
say() { echo "drain: $*"; }
fail() { echo "drain: FAILED: $*" >&2; kubectl -n "$namespace" get pods,pdb -o wide >&2; exit 1; }
# The component's pods as "PHASE READY DELETING" lines (DELETING: a deletion timestamp, or "-").
pod_states() { # COMPONENT
  kubectl -n "$namespace" get pods -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=$1" \
    -o jsonpath='{range .items[*]}{.status.phase}{" "}{.status.conditions[?(@.type=="Ready")].status}{" "}{.metadata.deletionTimestamp}{"\n"}{end}' |
    awk '{ print $1, ($2 == "" ? "False" : $2), ($3 == "" ? "-" : "deleting") }'
}
running() { awk '$1 == "Running" && $3 == "-"' | wc -l; }
ready() { awk '$2 == "True"' | wc -l; }
protected=(api mls-ds web)

t0=$(date +%s)
set +e
kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout 45s >"${TMPDIR:-/tmp}/drain.log" 2>&1
status=$?
set -e
grep -c "disruption budget" "${TMPDIR:-/tmp}/drain.log" >/dev/null ||
  { cat "${TMPDIR:-/tmp}/drain.log" >&2; fail "the drain was never refused by a disruption budget"; }
[ "$status" != 0 ] || fail "the drain finished: a budget let the last replica go"
say "drain refused by the budgets and timed out after $(($(date +%s) - t0)) s, as it must"
for c in "${protected[@]}"; do
  states="$(pod_states "$c")"
  n="$(running <<<"$states")"
  [ "$n" -ge 1 ] || fail "$c has no running pod left: its budget let the last one be evicted"
  budget="$(kubectl -n "$namespace" get pdb "$release-$c" -o jsonpath='{.status.currentHealthy}/{.status.desiredHealthy}, {.status.disruptionsAllowed} more disruptions allowed')"
  say "$c: $n pod(s) still running on the cordoned node ($(ready <<<"$states") Ready); budget healthy/desired $budget"
done
for c in postgresql redis; do
  n="$(pod_states "$c" | running)"
  [ "$n" = 0 ] || fail "$c was not evicted (it has no budget)"
done
say "PostgreSQL and Redis (no budget) were evicted"

t0=$(date +%s)
kubectl uncordon "$node" >/dev/null
kubectl -n kube-system rollout status deployment/coredns --timeout 120s >/dev/null
"$(dirname "$0")/settled.sh" "$namespace" "$release" || fail "the release did not come back"
say "uncordoned: every Deployment, StatefulSet and DaemonSet whole again in $(($(date +%s) - t0)) s"
