#!/usr/bin/env sh
# Installs schemathesis into a virtual environment outside the clone (idempotent) and prints
# the path of its `st` executable.
set -eu
cache="${CONCLAVE_CACHE_DIR:-$HOME/.cache/conclave}"
venv="$cache/venv-fuzz"
version="${SCHEMATHESIS_VERSION:-3.39.16}"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/python" -m pip show schemathesis 2>/dev/null | grep -q "^Version: $version\$"; then
  mkdir -p "$cache"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version" >&2
fi
echo "$venv/bin/st"
