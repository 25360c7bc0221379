#!/usr/bin/env bash
# Generates the secrets of a Conclave deployment, one env file per consumer, so each
# container sees only what it needs:
#
#   api.env       CONCLAVE_JOIN_TOKEN_PRIVATE_KEY (Ed25519, PKCS#8 PEM), CONCLAVE_STATE_KEY
#                 (32 random bytes, base64), DATABASE_URL, REDIS_URL, and CONCLAVE_TURN_SECRET
#                 commented out (TURN is optional; the API wants it only with CONCLAVE_TURN_URLS)
#   ds.env        JOIN_TOKEN_PUBLIC_KEYS (the matching SPKI PEM), REDIS_URL
#   sfu.env       JOIN_TOKEN_PUBLIC_KEYS, REDIS_URL (the same names as the DS: docs/configuration.md)
#   postgres.env  POSTGRES_PASSWORD
#   redis.env     REDIS_PASSWORD
#   turn.env      TURN_SECRET (coturn static-auth-secret)
#
# usage: scripts/gen-secrets.sh [--force] [DIR]      (DIR defaults to deploy/compose/secrets)
#        scripts/gen-secrets.sh --kubernetes NAME     print a Kubernetes Secret for the Helm chart
#
# Idempotent: existing files are kept unless --force is given. Rotating the join-token key logs
# nobody out for long (tokens live 60 s), but a new state key makes every stored meeting
# unreachable: stored meetings are named by keys derived from it (docs/operations.md).
# Needs openssl. PEM values are written with \n escapes inside double quotes, which Compose
# env files expand to newlines.
set -euo pipefail

force=0
kubernetes=""
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
if [ "${1:-}" = "--kubernetes" ]; then kubernetes="${2:?usage: gen-secrets.sh --kubernetes NAME}"; fi
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/deploy/compose/secrets}"
command -v openssl >/dev/null || { echo "gen-secrets: openssl is required" >&2; exit 1; }

if [ -n "$kubernetes" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  openssl genpkey -algorithm ed25519 -out "$tmp/join.key" 2>/dev/null
  openssl pkey -in "$tmp/join.key" -pubout -out "$tmp/join.pub" 2>/dev/null
  indent() { sed 's/^/    /' "$1"; }
  cat <<EOT
apiVersion: v1
kind: Secret
metadata:
  name: ${kubernetes}
  labels:
    app.kubernetes.io/part-of: conclave
type: Opaque
stringData:
  join-token-private-key: |
$(indent "$tmp/join.key")
  join-token-public-keys: |
$(indent "$tmp/join.pub")
  state-key: "$(openssl rand -base64 32)"
  postgres-password: "$(openssl rand -hex 24)"
  redis-password: "$(openssl rand -hex 24)"
  turn-secret: "$(openssl rand -hex 32)"
  # With an external PostgreSQL / Redis (postgresql.bundled=false, redis.bundled=false):
  # database-url: "postgresql://USER:PASSWORD@HOST:5432/conclave?sslmode=require"
  # redis-url: "rediss://:PASSWORD@HOST:6379/0"
EOT
  exit 0
fi

if [ -f "$dir/api.env" ] && [ "$force" = 0 ]; then
  echo "gen-secrets: $dir already holds secrets (use --force to replace them)" >&2
  exit 0
fi

umask 077
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

openssl genpkey -algorithm ed25519 -out "$tmp/join.key" 2>/dev/null
openssl pkey -in "$tmp/join.key" -pubout -out "$tmp/join.pub" 2>/dev/null
pem_env() { awk 'BEGIN { ORS = "" } { print $0 "\\n" }' "$1"; }
private_pem="$(pem_env "$tmp/join.key")"
public_pem="$(pem_env "$tmp/join.pub")"
state_key="$(openssl rand -base64 32)"
db_password="$(openssl rand -hex 24)"
redis_password="$(openssl rand -hex 24)"
turn_secret="$(openssl rand -hex 32)"
redis_url="redis://:${redis_password}@redis:6379/0"

cat >"$dir/api.env" <<EOT
CONCLAVE_JOIN_TOKEN_PRIVATE_KEY="${private_pem}"
CONCLAVE_STATE_KEY=${state_key}
DATABASE_URL=postgresql://conclave:${db_password}@postgres:5432/conclave
REDIS_URL=${redis_url}
# TURN (docker compose --profile turn): uncomment, and set CONCLAVE_TURN_URLS in .env.
# CONCLAVE_TURN_SECRET=${turn_secret}
EOT
cat >"$dir/ds.env" <<EOT
JOIN_TOKEN_PUBLIC_KEYS="${public_pem}"
REDIS_URL=${redis_url}
EOT
cat >"$dir/sfu.env" <<EOT
JOIN_TOKEN_PUBLIC_KEYS="${public_pem}"
REDIS_URL=${redis_url}
EOT
echo "POSTGRES_PASSWORD=${db_password}" >"$dir/postgres.env"
echo "REDIS_PASSWORD=${redis_password}" >"$dir/redis.env"
echo "TURN_SECRET=${turn_secret}" >"$dir/turn.env"
# Containers read these files through Compose, not from the host user.
chmod 600 "$dir"/*.env
echo "gen-secrets: wrote $dir/{api,ds,sfu,postgres,redis,turn}.env" >&2
