#!/usr/bin/env sh
# Installs schemathesis into a virtual environment outside the clone (idempotent) and prints
# the path of its `st` executable.
set -eu
cache="${CONCLAVE_CACHE_DIR:-$HOME/.cache/conclave}"
venv="$cache/venv-fuzz"
version="${SCHEMATHESIS_VERSION:-3.39.16}"
# Newer hypothesis releases changed an internal API that schemathesis 3.39 uses.
hypothesis="${HYPOTHESIS_VERSION:-6.122.3}"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qx "hypothesis==$hypothesis"; then
  mkdir -p "$cache"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version" "hypothesis==$hypothesis" >&2
fi
echo "$venv/bin/st"
