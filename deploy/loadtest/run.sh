#!/usr/bin/env bash
# Runs the load test against the embedded stack on loopback, optionally through the web
# image's Caddy configuration (routes and headers of deploy/caddy/conclave.caddy) when a caddy
# binary is available (scripts/install-tools.sh builds one).
#
# usage: deploy/loadtest/run.sh smoke|full
#
# Needs MEDIASOUP_WORKER_BIN (scripts/build-mediasoup-worker.sh) and the npm dependencies.
# Everything listens on 127.0.0.1 ports LOADTEST_PORT_BASE+80.. (default 27000); every
# process is bounded by `timeout` and stopped on exit. Results: deploy/loadtest/results/.
set -euo pipefail

mode="${1:-smoke}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
node_bin="$(scripts/ensure-node.sh)"
export PATH="$node_bin:$PATH"
: "${MEDIASOUP_WORKER_BIN:?set MEDIASOUP_WORKER_BIN (scripts/build-mediasoup-worker.sh)}"
export MEDIASOUP_WORKER_BIN
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
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for port in $((base + 80)) $((base + 90)) $((base + 443)) $((base + 500)) $((base + 501)) $((base + 880)); do
  if node -e "const s=require('net').createServer().once('error',()=>process.exit(1)).listen($port,'127.0.0.1',()=>s.close())"; then :; else
    echo "loadtest: port $port on 127.0.0.1 is busy (set LOADTEST_PORT_BASE)" >&2; exit 1
  fi
done

echo "loadtest: starting the embedded stack on 127.0.0.1:$((base + 80))" >&2
timeout $((limit + 120)) node deploy/loadtest/stack.ts >"$results/stack-$mode.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  grep -q '"ready":true' "$results/stack-$mode.log" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$results/stack-$mode.log" >&2; exit 1; }
  sleep 1
done
grep -q '"ready":true' "$results/stack-$mode.log" || { echo "loadtest: the stack did not start" >&2; exit 1; }

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
timeout $((limit + 30)) node deploy/loadtest/loadtest.mjs --mode "$mode" --api "$api" "${extra[@]}" \
  --out "$results/summary-$mode.json" || status=$?

# Every metric the Grafana dashboard queries must be exported by the running services.
curl -sf "http://127.0.0.1:$((base + 80))/metrics" >"$work/api.prom"
curl -sf "http://127.0.0.1:$((base + 90))/metrics" >"$work/ds.prom"
curl -sf "http://127.0.0.1:$((base + 443))/metrics" >"$work/sfu.prom"
cp "$work"/*.prom "$results/"
python3 deploy/ci/check-dashboard.py deploy/grafana/conclave.json --metrics "$work"/*.prom || status=1
exit "$status"
