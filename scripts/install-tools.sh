#!/usr/bin/env bash
# Installs the deployment tooling used by deploy/ci-checks.sh, cached outside the clone:
#
#   helm               built from its Go module (helm.sh/helm/v3)
#   compose-check      deploy/tools/compose-check: Compose files loaded and validated by
#                      compose-go, the library `docker compose` uses (schema + semantics)
#   dockerfile-check   deploy/tools/dockerfile-check: BuildKit's Dockerfile parser and checks
#   caddy              built from its Go module, to validate the Caddyfiles (`caddy adapt`)
#   ShellCheck         Debian package (installed only when running as root with apt-get)
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
#   CADDY_VERSION        default v2.11.9 (keep in step with CADDY_IMAGE in services/web/Dockerfile)
#   KUBERNETES_VALIDATE_VERSION  default 1.37.0
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
bin="$cache/bin"
helm_version="${HELM_VERSION:-v3.21.4}"
caddy_version="${CADDY_VERSION:-v2.11.9}"
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

# --- compose-check and dockerfile-check (small Go programs in deploy/tools) ---------------
for tool in compose-check dockerfile-check; do
  src="$root/deploy/tools/$tool"
  stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
  if [ -x "$bin/$tool" ] && [ "$(cat "$bin/.$tool.stamp" 2>/dev/null)" = "$stamp" ]; then
    continue
  fi
  command -v go >/dev/null || { log "go is required to build $tool"; exit 1; }
  log "building $tool"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$bin/$tool" .) >&2
  echo "$stamp" >"$bin/.$tool.stamp"
done

# --- caddy (Caddyfile validation) ------------------------------------------------------------
if [ -x "$bin/caddy" ] && [ "$(cat "$bin/.caddy.version" 2>/dev/null)" = "$caddy_version" ]; then
  :
else
  command -v go >/dev/null || { log "go is required to build caddy"; exit 1; }
  log "building caddy $caddy_version (a few minutes on 2 cores)"
  (cd "$root" && GOFLAGS=-mod=mod GOBIN="$bin" go install "github.com/caddyserver/caddy/v2/cmd/caddy@$caddy_version") >&2
  echo "$caddy_version" >"$bin/.caddy.version"
fi

# --- shellcheck ------------------------------------------------------------------------------
if ! command -v shellcheck >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing shellcheck"
  { apt-get install -y --no-install-recommends shellcheck >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends shellcheck >/dev/null; }; } >&2 \
    || log "shellcheck unavailable (skipped by the checks)"
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
