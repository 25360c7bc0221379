#!/usr/bin/env bash
# Two rules about the shape of the code, checked in `make lint`:
#   1. no import cycles between modules (madge, over every workspace's TypeScript);
#   2. no source file over 400 lines unless a `// Long file: <reason>` line within its first 15
#      lines says why (a test with one scenario per case, a generated table, …).
# Cycles between workspaces are caught by turbo, which refuses a cyclic package graph.
set -euo pipefail
cd "$(dirname "$0")/.."
max_lines=400
status=0

npx madge --circular --no-spinner --extensions ts,mjs --ts-config tsconfig.base.json \
  --exclude '(^|/)(node_modules|generated|dist)/' packages services test deploy/loadtest scripts \
  || status=1

long=0
while IFS= read -r file; do
  lines=$(wc -l <"$file")
  [ "$lines" -gt "$max_lines" ] || continue
  if ! head -n 15 "$file" | grep -qE '^\s*(//|#|\*) Long file: .{10,}'; then
    echo "check-structure: $file has $lines lines (over $max_lines) and no \`// Long file: <reason>\` line at its top" >&2
    long=$((long + 1))
  fi
done < <(git ls-files '*.ts' '*.mjs' '*.js' '*.sh' | grep -vE '(^|/)(generated|dist|vendor)/')
[ "$long" -eq 0 ] || status=1
[ "$status" -eq 0 ] && echo "check-structure: no import cycles; every file over $max_lines lines says why"
exit "$status"
