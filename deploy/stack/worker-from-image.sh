#!/usr/bin/env bash
# Builds the `worker` stage of services/sfu/Dockerfile and puts its mediasoup-worker, with the
# libsrtp beside it (lib/libsrtp2.so.1), where scripts/build-mediasoup-worker.sh caches them, so
# a CI machine compiles the worker once for both the test suites and the SFU image (whose later
# build finds the stage in the engine's build cache). The binary is the same build of the same
# sources against the same Debian bookworm libraries; the host needs their runtime packages
# (scripts/install-system-deps.sh).
# Does nothing when the worker is cached already. NODE_IMAGE as for the image build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
version=3.12.16
out="${MEDIASOUP_WORKER_OUT:-$cache/mediasoup-worker-$version-srtp-openssl/mediasoup-worker}"
out_dir="$(dirname "$out")"
out_lib="$out_dir/lib/libsrtp2.so.1"
[ -x "$out" ] && [ -f "$out_lib" ] && exit 0
tag="conclave-build/sfu-worker:$version"
args=()
[ -n "${NODE_IMAGE:-}" ] && args=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
echo "worker-from-image: building the SFU image's worker stage" >&2
docker build -q --target worker "${args[@]}" -f "$root/services/sfu/Dockerfile" -t "$tag" "$root" >/dev/null
mkdir -p "$out_dir/lib"
tmp="$out_dir/.from-image.$$"
cid="$(docker create "$tag")"
trap 'docker rm "$cid" >/dev/null; rm -rf "$tmp"' EXIT
# /opt/mediasoup holds mediasoup-worker and lib/libsrtp2.so.1 (found through RUNPATH $ORIGIN/lib).
docker cp "$cid:/opt/mediasoup/." "$tmp" >&2
if ldd "$tmp/mediasoup-worker" | grep -q 'not found'; then
  echo "worker-from-image: the worker needs libraries this machine lacks; not used" >&2
  exit 0
fi
# The binary last: it is what the build script and the callers look for.
mv -f "$tmp/lib/libsrtp2.so.1" "$out_lib"
mv -f "$tmp/mediasoup-worker" "$out"
echo "worker-from-image: $out" >&2
