#!/usr/bin/env bash
# Prints a DOCKER_CONFIG directory whose cli-plugins hold a Docker Compose v2 plugin, so that
#   export DOCKER_CONFIG="$(deploy/stack/install-compose.sh)"; docker compose version
# works on a machine with a Docker engine but no Compose. When `docker compose` already answers,
# prints the current DOCKER_CONFIG (or ~/.docker) and builds nothing. Otherwise the plugin is
# built once from Go modules (deploy/tools/docker-compose) into the cache, outside the clone.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
if docker compose version >/dev/null 2>&1; then
  echo "${DOCKER_CONFIG:-$HOME/.docker}"
  exit 0
fi
src="$root/deploy/tools/docker-compose"
config="$cache/docker-config"
plugin="$config/cli-plugins/docker-compose"
stamp="$(cat "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)"
if [ ! -x "$plugin" ] || [ "$(cat "$plugin.stamp" 2>/dev/null)" != "$stamp" ]; then
  command -v go >/dev/null || { echo "install-compose: go is required to build docker compose" >&2; exit 1; }
  echo "install-compose: building docker compose from Go modules (a few minutes)" >&2
  mkdir -p "$(dirname "$plugin")"
  (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$plugin.tmp" github.com/docker/compose/v5/cmd) >&2
  mv -f "$plugin.tmp" "$plugin"
  echo "$stamp" >"$plugin.stamp"
fi
# A config of our own: the plugin, and the user's credentials when there are any.
[ -f "$HOME/.docker/config.json" ] && [ ! -e "$config/config.json" ] && ln -s "$HOME/.docker/config.json" "$config/config.json"
echo "$config"
