#!/usr/bin/env bash
# Waits until every Deployment, StatefulSet and DaemonSet of a release has rolled out (bounded),
# printing the pods if one does not. `helm --wait` is not enough: it counts a DaemonSet with
# maxUnavailable 1 on one node as ready with no pod Ready (and the host-network SFU's new pod
# starts only once the old one has drained).
#
#   deploy/cluster/settled.sh NAMESPACE RELEASE      (KUBECONFIG from scripts/cluster.sh env)
set -euo pipefail
namespace="${1:?usage: settled.sh NAMESPACE RELEASE}"
release="${2:?usage: settled.sh NAMESPACE RELEASE}"
for w in $(kubectl -n "$namespace" get deployments,statefulsets,daemonsets -l "app.kubernetes.io/instance=$release" -o name); do
  kubectl -n "$namespace" rollout status "$w" --timeout 180s >/dev/null || {
    echo "settled: $w did not roll out" >&2
    kubectl -n "$namespace" get pods -o wide >&2
    exit 1
  }
done
