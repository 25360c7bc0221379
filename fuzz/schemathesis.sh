#!/usr/bin/env bash
# Fuzzes the meeting API with schemathesis from its own OpenAPI document (GET /v1/openapi.json):
# the embedded stack is started on free loopback ports, every operation is exercised with
# generated and negative inputs, and a 5xx or a response that does not match the document fails.
#
#   FUZZ_MODE=ci   (default) a few examples per operation, well under a minute
#   FUZZ_MODE=long many examples per operation, stateful links; FUZZ_EXAMPLES overrides both
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${FUZZ_MODE:-ci}"
if [ "$mode" = long ]; then examples="${FUZZ_EXAMPLES:-500}"; else examples="${FUZZ_EXAMPLES:-25}"; fi
out="${FUZZ_OUT:-fuzz/out}"
mkdir -p "$out"
st="$(fuzz/install.sh)"
[ -n "${MEDIASOUP_WORKER_BIN:-}" ] || MEDIASOUP_WORKER_BIN="$(scripts/build-mediasoup-worker.sh)"
export MEDIASOUP_WORKER_BIN

urls="$out/stack.json"
rm -f "$urls"
node fuzz/embedded-api.ts >"$urls" 2>"$out/stack.log" &
stack_pid=$!
trap 'kill "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  [ -s "$urls" ] && break
  kill -0 "$stack_pid" 2>/dev/null || { cat "$out/stack.log" >&2; exit 1; }
  sleep 0.5
done
api="$(sed -n 's/.*"apiUrl":"\([^"]*\)".*/\1/p' "$urls")"
[ -n "$api" ] || { echo "the stack did not start" >&2; exit 1; }

cassette="$out/schemathesis-cassette.yaml"
rm -f "$cassette"
set +e
timeout "${FUZZ_API_TIMEOUT:-900}" "$st" run "$api/v1/openapi.json" \
  --base-url "$api" \
  --experimental=openapi-3.1 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --data-generation-method all \
  --hypothesis-max-examples "$examples" \
  --hypothesis-seed "${FUZZ_SEED:-1}" \
  --hypothesis-suppress-health-check all \
  --workers 1 \
  --request-timeout 10000 \
  --cassette-path "$cassette" \
  --no-color 2>&1 | tee "$out/schemathesis.log"
rc=${PIPESTATUS[0]}
set -e
requests=$(grep -c "^- id:" "$cassette" 2>/dev/null || true)
server_errors=$(grep -cE "^ +code: .?5[0-9][0-9]" "$cassette" 2>/dev/null || true)
echo "schemathesis: $requests requests, $server_errors responses with 5xx, exit $rc"
exit "$rc"
