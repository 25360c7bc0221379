#!/usr/bin/env bash
# Runs every workspace's test suite one after another (the machine's cores go to each suite in
# turn, and suites that open ports never race), then prints one total line.
set -uo pipefail
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
npx turbo run test --concurrency=1 --continue --env-mode=loose --output-logs=full --log-prefix=none "$@" 2>&1 | tee "$log" || status=$?
passed=$(grep -aE '^ℹ pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
failed=$(grep -aE '^ℹ fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
skipped=$(grep -aE '^ℹ skipped [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$failed" -ne 0 ]; then status=1; fi
if [ "$passed" -eq 0 ]; then echo "no test ran" >&2; status=1; fi
exit "$status"
