#!/usr/bin/env bash
# Runs the load test against the embedded stack on loopback, optionally through the web
# image's Caddy configuration (routes and headers of deploy/caddy/conclave.caddy) when a caddy
# binary is available (scripts/install-tools.sh builds one).
#
# usage: deploy/loadtest/run.sh smoke|full [embedded|distributed|stack]
#
#   embedded     (default) API, DS and SFU in one process with in-memory storage
#   distributed  the API, the DS and the SFU as separate processes on a throwaway PostgreSQL
#                and Redis (scripts/test-infra.sh), as in compose.yaml and the Helm chart
#   stack        the running compose stack of deploy/stack/stack.sh (its containers, through
#                its Caddy over HTTPS); start it with
#                CONCLAVE_RATE_PER_SOURCE=1000000 deploy/stack/stack.sh up, since every
#                simulated participant comes from one address
#
# Needs MEDIASOUP_WORKER_BIN (scripts/build-mediasoup-worker.sh, not for `stack`) and the npm
# dependencies.
# Everything listens on 127.0.0.1 ports LOADTEST_PORT_BASE+80.. (default 27000); every
# process is bounded by `timeout` and stopped on exit. Results: deploy/loadtest/results/.
set -euo pipefail

mode="${1:-smoke}"
topology="${2:-embedded}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
node_bin="$(scripts/ensure-node.sh)"
export PATH="$node_bin:$PATH"
if [ "$topology" != stack ]; then
  : "${MEDIASOUP_WORKER_BIN:?set MEDIASOUP_WORKER_BIN (scripts/build-mediasoup-worker.sh)}"
  export MEDIASOUP_WORKER_BIN
fi
base="${LOADTEST_PORT_BASE:-27000}"
export LOADTEST_PORT_BASE="$base"
case "$mode" in
  smoke) limit=60 ;;
  full) limit=240 ;;
  *) echo "usage: $0 smoke|full" >&2; exit 2 ;;
esac
results="$root/deploy/loadtest/results"
mkdir -p "$results"
work="$(mktemp -d)"
pids=()
pids_infra=0
cleanup() {
  # SIGINT: the SFU stops at once instead of draining.
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$pids_infra" = 1 ]; then scripts/test-infra.sh stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for port in $((base + 80)) $((base + 90)) $((base + 443)) $((base + 500)) $((base + 501)) $((base + 880)); do
  if node -e "const s=require('net').createServer().once('error',()=>process.exit(1)).listen($port,'127.0.0.1',()=>s.close())"; then :; else
    echo "loadtest: port $port on 127.0.0.1 is busy (set LOADTEST_PORT_BASE)" >&2; exit 1
  fi
done

if [ "$topology" = stack ]; then
  eval "$(deploy/stack/stack.sh env)"
  [ -f "$STACK_CA" ] || { echo "loadtest: no compose stack is running (deploy/stack/stack.sh up)" >&2; exit 1; }
  # Node's fetch and WebSocket trust Caddy's internal CA for this run.
  export NODE_EXTRA_CA_CERTS="$STACK_CA"
  status=0
  # shellcheck disable=SC2086
  timeout $((limit + 30)) node deploy/loadtest/loadtest.mjs --mode "$mode" --api "$STACK_URL" ${LOADTEST_ARGS:-} \
    --out "$results/summary-$mode-$topology.json" || status=$?
  # The services' metrics are not published; read them inside the containers.
  for svc in api:8080 mls-ds:4100 sfu:4443; do
    $STACK_COMPOSE exec -T "${svc%%:*}" node -e \
      "fetch('http://127.0.0.1:${svc#*:}/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))" \
      >"$work/${svc%%:*}.prom"
  done
  cp "$work"/*.prom "$results/"
  python3 deploy/ci/check-dashboard.py deploy/grafana/conclave.json --metrics "$work"/*.prom || status=1
  exit "$status"
elif [ "$topology" = distributed ]; then
  export INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/conclave-loadtest-infra}"
  # shellcheck disable=SC1090
  source "$(scripts/test-infra.sh start)"
  pids_infra=1
  openssl genpkey -algorithm ed25519 -out "$work/join.key" 2>/dev/null
  openssl pkey -in "$work/join.key" -pubout -out "$work/join.pub"
  proxy_url="ws://127.0.0.1:$((base + 880))"
  export CONCLAVE_MODE=distributed LOG_LEVEL="${LOG_LEVEL:-warn}"
  CONCLAVE_JOIN_TOKEN_PRIVATE_KEY="$(cat "$work/join.key")"
  CONCLAVE_STATE_KEY="$(openssl rand -base64 32)"
  export CONCLAVE_JOIN_TOKEN_PRIVATE_KEY CONCLAVE_STATE_KEY
  echo "loadtest: applying migrations, starting API, DS and SFU on PostgreSQL and Redis" >&2
  timeout 60 node services/api/src/cli.ts migrate >&2
  API_HOST=127.0.0.1 API_PORT=$((base + 80)) CONCLAVE_TRUST_PROXY=true \
  CONCLAVE_RATE_PER_SOURCE=10000000 CONCLAVE_FAILED_JOINS_PER_SOURCE=10000000 \
  CONCLAVE_DS_URL="$proxy_url/v1/ds" CONCLAVE_SFU_URL="$proxy_url/v1/sfu" \
    timeout $((limit + 120)) node services/api/src/main.ts >"$results/api-$mode.log" 2>&1 &
  pids+=($!)
  JOIN_TOKEN_PUBLIC_KEYS="$(cat "$work/join.pub")" DS_HOST=127.0.0.1 DS_PORT=$((base + 90)) \
    timeout $((limit + 120)) node services/mls-ds/src/main.ts >"$results/ds-$mode.log" 2>&1 &
  pids+=($!)
  JOIN_TOKEN_PUBLIC_KEYS="$work/join.pub" REDIS_URL="$REDIS_URL" SFU_HOST=127.0.0.1 SFU_PORT=$((base + 443)) \
  SFU_PUBLIC_URL="$proxy_url/v1/sfu" SFU_RTC_LISTEN_IP=127.0.0.1 SFU_RTC_PORT_BASE=$((base + 500)) \
  SFU_RTC_MIN_PORT=$((base + 600)) SFU_RTC_MAX_PORT=$((base + 699)) SFU_WORKERS="${SFU_WORKERS:-2}" LOG_LEVEL="$LOG_LEVEL" SFU_DRAIN_TIMEOUT_MS=3000 \
    timeout $((limit + 120)) node services/sfu/src/main.ts >"$results/sfu-$mode.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 60); do
    curl -sf "http://127.0.0.1:$((base + 80))/readyz" >/dev/null && curl -sf "http://127.0.0.1:$((base + 90))/readyz" >/dev/null &&
      curl -sf "http://127.0.0.1:$((base + 443))/readyz" >/dev/null && break
    sleep 1
  done
  curl -sf "http://127.0.0.1:$((base + 443))/readyz" >/dev/null || { echo "loadtest: the services did not start" >&2; exit 1; }
  [ -n "$(command -v caddy || ls "${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}/bin/caddy" 2>/dev/null)" ] ||
    { echo "loadtest: the distributed topology needs caddy (scripts/install-tools.sh)" >&2; exit 1; }
else
  echo "loadtest: starting the embedded stack on 127.0.0.1:$((base + 80))" >&2
  timeout $((limit + 120)) node deploy/loadtest/stack.ts >"$results/stack-$mode.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 120); do
    grep -q '"ready":true' "$results/stack-$mode.log" 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$results/stack-$mode.log" >&2; exit 1; }
    sleep 1
  done
  grep -q '"ready":true' "$results/stack-$mode.log" || { echo "loadtest: the stack did not start" >&2; exit 1; }
fi

api="http://127.0.0.1:$((base + 80))"
extra=()
caddy="$(command -v caddy || true)"
[ -z "$caddy" ] && [ -x "${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}/bin/caddy" ] &&
  caddy="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}/bin/caddy"
if [ -n "$caddy" ] && [ "${LOADTEST_PROXY:-1}" = 1 ]; then
  proxy="127.0.0.1:$((base + 880))"
  cat >"$work/Caddyfile" <<EOT
{
	admin off
	auto_https off
	persist_config off
}
import $root/deploy/caddy/conclave.caddy
http://$proxy {
	bind 127.0.0.1
	import conclave
}
EOT
  echo "loadtest: routing through Caddy at $proxy (deploy/caddy/conclave.caddy)" >&2
  CONCLAVE_API_UPSTREAM="127.0.0.1:$((base + 80))" CONCLAVE_DS_UPSTREAM="127.0.0.1:$((base + 90))" \
  CONCLAVE_SFU_UPSTREAM="127.0.0.1:$((base + 443))" CONCLAVE_WEB_ROOT="$root/services/web/dist" \
  XDG_DATA_HOME="$work/caddy" XDG_CONFIG_HOME="$work/caddy" \
    timeout $((limit + 60)) "$caddy" run --config "$work/Caddyfile" --adapter caddyfile 2>"$results/caddy-$mode.log" &
  pids+=($!)
  for _ in $(seq 30); do curl -sf "http://$proxy/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  headers="$(curl -s -D - -o /dev/null "http://$proxy/v1/join-token-keys")"
  for h in 'content-security-policy:' 'referrer-policy: no-referrer' 'strict-transport-security:' 'x-content-type-options: nosniff'; do
    grep -qi "^$h" <<<"$headers" || { echo "loadtest: the proxy does not send $h" >&2; exit 1; }
  done
  api="http://$proxy"
  extra=(--ws-base "ws://$proxy")
fi

status=0
# LOADTEST_ARGS: extra generator options, e.g. "--join-rate 25 --participants-per-meeting 10".
# shellcheck disable=SC2086
timeout $((limit + 30)) node deploy/loadtest/loadtest.mjs --mode "$mode" --api "$api" "${extra[@]}" ${LOADTEST_ARGS:-} \
  --out "$results/summary-$mode-$topology.json" || status=$?

# Every metric the Grafana dashboard queries must be exported by the running services.
curl -sf "http://127.0.0.1:$((base + 80))/metrics" >"$work/api.prom"
curl -sf "http://127.0.0.1:$((base + 90))/metrics" >"$work/ds.prom"
curl -sf "http://127.0.0.1:$((base + 443))/metrics" >"$work/sfu.prom"
cp "$work"/*.prom "$results/"
python3 deploy/ci/check-dashboard.py deploy/grafana/conclave.json --metrics "$work"/*.prom || status=1
exit "$status"
