#!/usr/bin/env bash
# Builds what scripts/cluster.sh needs to run a throwaway single-node Kubernetes cluster, from
# the Go module proxy, cached outside the clone:
#
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl
#                 from k8s.io/kubernetes (its staging modules replaced by their published tags)
#   coredns       from github.com/coredns/coredns, static (it runs in a scratch-like image)
#   pause         the pod sandbox's process, compiled from the kubernetes module's pause.c
#
# Prints the bin directory on stdout (progress on stderr). Idempotent: a cached build at the
# pinned versions is reused. The first build takes about 9 minutes and 2 GB on 2 cores.
#
# Environment:
#   CONCLAVE_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/conclave)
#   KUBERNETES_VERSION   default v1.34.4 (the newest line that runs on cgroup v1 with containerd 1.6)
#   COREDNS_VERSION      default v1.12.4
set -euo pipefail

cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
k8s_version="${KUBERNETES_VERSION:-v1.34.4}"
coredns_version="${COREDNS_VERSION:-v1.12.4}"
bin="$cache/kubernetes-$k8s_version"
log() { echo "build-kubernetes: $*" >&2; }

components=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
have_all() {
  for c in "${components[@]}" coredns pause; do [ -x "$bin/$c" ] || return 1; done
  [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$k8s_version $coredns_version" ]
}
if have_all; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { log "go is required"; exit 1; }
command -v gcc >/dev/null || { log "gcc is required (for the pause binary)"; exit 1; }
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A throwaway module: k8s.io/kubernetes replaces its staging modules with local folders, which a
# dependent module cannot use, so each one is replaced here by its published v0.x tag instead.
staging_version="v0.${k8s_version#v1.}"
log "kubernetes $k8s_version (staging modules at $staging_version)"
(
  cd "$work"
  go mod init conclave.local/kubernetes-build >/dev/null 2>&1
  gomod=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "require k8s.io/kubernetes $k8s_version"
    echo "replace ("
    sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging_version"'#p' "$gomod"
    echo ")"
  } >>go.mod
  cat >tools.go <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  GOFLAGS=-mod=mod go mod tidy >&2 2>&1 || true
  minor="${k8s_version#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean"
  done
  log "building ${components[*]}"
  pkgs=(); for c in "${components[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  GOFLAGS=-mod=mod go build -ldflags "$ldflags" -o "$bin/" "${pkgs[@]}" >&2
  pause_c="$(go env GOMODCACHE)/k8s.io/kubernetes@$k8s_version/build/pause/linux/pause.c"
  gcc -Os -static -o "$bin/pause" "$pause_c" -DVERSION="$k8s_version"
)

log "coredns $coredns_version"
(
  mkdir -p "$work/coredns" && cd "$work/coredns"
  go mod init conclave.local/coredns-build >/dev/null 2>&1
  GOFLAGS=-mod=mod go get "github.com/coredns/coredns@$coredns_version" >&2 2>&1
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -ldflags "-s -w" -o "$bin/coredns" github.com/coredns/coredns >&2
)
echo "$k8s_version $coredns_version" >"$bin/.stamp"
echo "$bin"
