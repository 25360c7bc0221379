#!/usr/bin/env bash
# All fuzzers, bounded. FUZZ_MODE=ci (default, under 2 minutes) or long (`make fuzz`).
#   FUZZ_SECONDS  seconds per WebSocket target (ci 15, long 300)
#   FUZZ_EXAMPLES schemathesis examples per API operation (ci 25, long 500)
#   FUZZ_SEED     seed of the WebSocket fuzzers (and schemathesis)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${FUZZ_MODE:-ci}"
if [ "$mode" = long ]; then export FUZZ_SECONDS="${FUZZ_SECONDS:-300}"; else export FUZZ_SECONDS="${FUZZ_SECONDS:-15}"; fi
export FUZZ_MODE="$mode" FUZZ_SEED="${FUZZ_SEED:-$RANDOM}"
[ -n "${MEDIASOUP_WORKER_BIN:-}" ] || MEDIASOUP_WORKER_BIN="$(scripts/build-mediasoup-worker.sh)"
export MEDIASOUP_WORKER_BIN
status=0
fuzz/schemathesis.sh || status=1
(cd test/security && node --test --test-reporter=spec --test-timeout=$(( (FUZZ_SECONDS + 120) * 1000 )) src/fuzz/ws-fuzz.test.ts) || status=1
echo "fuzz: mode $mode, seed $FUZZ_SEED, exit $status"
exit "$status"
