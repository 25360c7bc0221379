#!/usr/bin/env bash
# Installs the deployment tooling used by deploy/ci-checks.sh, cached outside the clone:
#
#   helm               built from its Go module (helm.sh/helm/v3)
#   compose-check      deploy/tools/compose-check: Compose files loaded and validated by
#                      compose-go, the library `docker compose` uses (schema + semantics)
#   kubernetes-validate  PyPI package that ships the Kubernetes JSON schemas, so rendered
#                      manifests are validated with no network access at run time
#
# Prints the bin directory on stdout (progress goes to stderr), so callers can do
#   export PATH="$(scripts/install-tools.sh):$PATH"
#
# Idempotent: a tool whose cached binary is present at the pinned version is not rebuilt.
# Needs Go >= 1.24 and python3 (with venv) on first run; the network only for the Go module
# proxy and PyPI on first run.
#
# Environment:
#   CONCLAVE_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/conclave)
#   HELM_VERSION         default v3.21.4
#   KUBERNETES_VALIDATE_VERSION  default 1.37.0
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
bin="$cache/bin"
helm_version="${HELM_VERSION:-v3.21.4}"
kv_version="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
mkdir -p "$bin"

log() { echo "install-tools: $*" >&2; }

# --- helm ---------------------------------------------------------------------------------
if [ -x "$bin/helm" ] && [ "$(cat "$bin/.helm.version" 2>/dev/null)" = "$helm_version" ]; then
  :
else
  command -v go >/dev/null || { log "go is required to build helm"; exit 1; }
  log "building helm $helm_version (a few minutes on 2 cores)"
  (cd "$root" && GOFLAGS=-mod=mod GOBIN="$bin" \
    go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$helm_version" \
    "helm.sh/helm/v3/cmd/helm@$helm_version") >&2
  echo "$helm_version" >"$bin/.helm.version"
fi

# --- compose-check ------------------------------------------------------------------------
src="$root/deploy/tools/compose-check"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
if [ -x "$bin/compose-check" ] && [ "$(cat "$bin/.compose-check.stamp" 2>/dev/null)" = "$stamp" ]; then
  :
else
  command -v go >/dev/null || { log "go is required to build compose-check"; exit 1; }
  log "building compose-check"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$bin/compose-check" .) >&2
  echo "$stamp" >"$bin/.compose-check.stamp"
fi

# --- kubernetes-validate (offline Kubernetes schemas) --------------------------------------
venv="$cache/venv"
if [ -x "$bin/kubernetes-validate" ] && "$bin/kubernetes-validate" --version 2>/dev/null | grep -q "$kv_version"; then
  :
else
  command -v python3 >/dev/null || { log "python3 is required for kubernetes-validate"; exit 1; }
  log "installing kubernetes-validate $kv_version"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$kv_version" >&2
  ln -sf "$venv/bin/kubernetes-validate" "$bin/kubernetes-validate"
fi

echo "$bin"
