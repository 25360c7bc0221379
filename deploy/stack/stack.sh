#!/usr/bin/env bash
# The compose stack exactly as shipped (compose.yaml, the Dockerfiles), on this machine's Docker
# engine, for CI and for trying things by hand. Base images are the official ones unless
# NODE_IMAGE / CADDY_IMAGE / CONCLAVE_POSTGRES_IMAGE / CONCLAVE_REDIS_IMAGE name others
# (deploy/stack/stand-in-images.sh makes them where no registry is reachable).
#
#   deploy/stack/stack.sh up        build every image and start the stack; waits until healthy
#   deploy/stack/stack.sh down      stop it and delete its volumes and generated secrets
#   deploy/stack/stack.sh compose … any `docker compose` command against it
#   deploy/stack/stack.sh env       print the settings (STACK_URL, STACK_CA, …) for tests
#
# The stack is the compose project `conclave-ci` (so it never touches a deployment named
# `conclave` on the same engine), published on 127.0.0.1 only: HTTPS on STACK_HTTPS_PORT
# (default 18443), the SFU's media ports 40000-40003. Caddy uses its internal CA; its root
# certificate is copied to $STACK_DIR/root.crt for browsers to trust.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
STACK_DIR="${STACK_DIR:-${TMPDIR:-/tmp}/conclave-stack}"
project="${STACK_PROJECT:-conclave-ci}"
https_port="${STACK_HTTPS_PORT:-18443}"
http_port="${STACK_HTTP_PORT:-18080}"
secrets="$root/deploy/compose/secrets"
log() { echo "stack: $*" >&2; }

DOCKER_CONFIG="$("$root/deploy/stack/install-compose.sh")"
export DOCKER_CONFIG

compose() {
  docker compose --project-directory "$root" -f "$root/compose.yaml" -p "$project" \
    --env-file "$STACK_DIR/stack.env" "$@"
}

write_env() {
  mkdir -p "$STACK_DIR"
  cat >"$STACK_DIR/stack.env" <<ENV
CONCLAVE_DOMAIN=localhost
CONCLAVE_PUBLIC_IP=127.0.0.1
CONCLAVE_TLS=internal
CONCLAVE_BIND=127.0.0.1:
CONCLAVE_HTTP_PORT=$http_port
CONCLAVE_HTTPS_PORT=$https_port
CONCLAVE_CREATION=open
CONCLAVE_LOG_LEVEL=${STACK_LOG_LEVEL:-info}
CONCLAVE_RATE_PER_SOURCE=${CONCLAVE_RATE_PER_SOURCE:-}
CONCLAVE_SFU_WORKERS=2
CONCLAVE_SFU_DRAIN_TIMEOUT_MS=5000
CONCLAVE_SFU_STOP_GRACE=20s
CONCLAVE_VERSION=${CONCLAVE_VERSION:-ci}
ENV
}

up() {
  write_env
  # Secrets exactly as an operator makes them; ours only if none exist (and then removed by down).
  if [ ! -f "$secrets/api.env" ]; then
    "$root/scripts/gen-secrets.sh" >&2
    touch "$STACK_DIR/secrets-ours"
  fi
  local t0 t1
  t0=$(date +%s)
  compose build >"$STACK_DIR/build.log" 2>&1 || { tail -n 60 "$STACK_DIR/build.log" >&2; exit 1; }
  t1=$(date +%s)
  echo "$((t1 - t0))" >"$STACK_DIR/build-seconds"
  log "images built in $((t1 - t0)) s"
  compose up -d --wait --wait-timeout 300 >&2 || {
    compose ps -a >&2; compose logs --tail 40 >&2; exit 1; }
  log "stack up in $(($(date +%s) - t1)) s"
  compose cp web:/data/caddy/pki/authorities/local/root.crt "$STACK_DIR/root.crt" >&2
}

down() {
  [ -f "$STACK_DIR/stack.env" ] || write_env
  compose --profile turn down --volumes --remove-orphans --timeout 20 >&2 || true
  if [ -f "$STACK_DIR/secrets-ours" ]; then rm -f "$secrets"/*.env "$STACK_DIR/secrets-ours"; fi
}

env_lines() {
  cat <<ENV
export STACK_URL=https://localhost:$https_port
export STACK_CA=$STACK_DIR/root.crt
export STACK_DIR=$STACK_DIR
export STACK_PROJECT=$project
export STACK_COMPOSE="$root/deploy/stack/stack.sh compose"
# Where the Compose CLI built for the stack is, for scripts that run \`docker compose\` themselves.
export DOCKER_CONFIG=$DOCKER_CONFIG
ENV
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  compose) shift; [ -f "$STACK_DIR/stack.env" ] || write_env; compose "$@" ;;
  env) env_lines ;;
  *) echo "usage: $0 up|down|env|compose ARGS…" >&2; exit 2 ;;
esac
