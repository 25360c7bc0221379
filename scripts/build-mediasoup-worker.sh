#!/usr/bin/env bash
# Builds the mediasoup worker binary from the sources inside the mediasoup npm tarball,
# linked against the Debian (bookworm) system libraries instead of mediasoup's meson
# subprojects, which would be downloaded from the internet at build time.
#
# Prints the path of the binary on stdout (everything else goes to stderr), so callers can do
#   export MEDIASOUP_WORKER_BIN=$(scripts/build-mediasoup-worker.sh)
#
# Idempotent: when the cached binary exists it is printed and nothing is built.
#
# Environment:
#   CONCLAVE_CACHE_DIR      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/conclave)
#   MEDIASOUP_VERSION       mediasoup version to build (default 3.12.16, the version the SFU pins)
#   MEDIASOUP_WORKER_OUT    exact output path (default $CONCLAVE_CACHE_DIR/mediasoup-worker-$VERSION/mediasoup-worker)
#   MEDIASOUP_SOURCE_TGZ    use this mediasoup-$VERSION.tgz; otherwise the repo's node_modules/mediasoup
#                           when it is that version, else `npm pack mediasoup@$VERSION`
#   BUILD_JOBS              parallel compile jobs (default: number of cores)
#   SKIP_APT=1              never call apt-get, even as root
set -euo pipefail

version="${MEDIASOUP_VERSION:-3.12.16}"
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
out="${MEDIASOUP_WORKER_OUT:-$cache/mediasoup-worker-$version/mediasoup-worker}"
jobs="${BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"

log() { echo "build-mediasoup-worker: $*" >&2; }

if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

# --- 1. Build dependencies (Debian bookworm package names) ---------------------------------
packages=(meson ninja-build pkg-config g++ python3 libssl-dev nlohmann-json3-dev libuv1-dev
  libsrtp2-dev libusrsctp-dev libabsl-dev)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && [ "${SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]}"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  else
    log "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
fi

# --- 2. Sources --------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

root="$(cd "$(dirname "$0")/.." && pwd)"
installed="$root/node_modules/mediasoup"
installed_version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$installed/package.json" 2>/dev/null || true)"
if [ -n "${MEDIASOUP_SOURCE_TGZ:-}" ]; then
  cp "$MEDIASOUP_SOURCE_TGZ" "$work/mediasoup.tgz"
elif [ "$installed_version" = "$version" ] && [ -f "$installed/worker/meson.build" ]; then
  # The installed npm package carries the worker sources: no download needed.
  log "using the sources in $installed"
  mkdir -p "$work/package"
  cp -R "$installed/worker" "$work/package/worker"
  tar -czf "$work/mediasoup.tgz" -C "$work" package
  rm -rf "$work/package"
else
  command -v npm >/dev/null || { log "npm is required to fetch mediasoup@$version"; exit 1; }
  (cd "$work" && npm pack --silent "mediasoup@$version" >/dev/null)
  mv "$work"/mediasoup-*.tgz "$work/mediasoup.tgz"
fi
tar -xzf "$work/mediasoup.tgz" -C "$work"
src="$work/package/worker"
[ -f "$src/meson.build" ] || { log "no worker/meson.build in the mediasoup tarball"; exit 1; }

# --- 3. Patch the meson files: system dependencies, no tests or fuzzer --------------------
# Everything in worker/meson.build before the subproject() calls (project(), cpp_args and
# the source list) is kept; the rest is replaced by a build that uses dependency().
python3 - "$src" <<'PY'
import re, sys, pathlib
src = pathlib.Path(sys.argv[1])

top = src / 'meson.build'
text = top.read_text()
# Debian bookworm ships meson 1.0.1; the worker builds fine with it.
text = re.sub(r"meson_version\s*:\s*'[^']*'", "meson_version: '>= 0.63.0'", text, count=1)
cut = text.index("cpp = meson.get_compiler('cpp')")
text = text[:cut] + """cpp = meson.get_compiler('cpp')

# System libraries (Debian bookworm) instead of meson subprojects.
openssl_dep = dependency('openssl', version: '>= 1.1.0')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
libsrtp2_dep = dependency('libsrtp2')
usrsctp_dep = dependency('usrsctp')
absl_dep = dependency('absl_flat_hash_map')
absl_set_dep = dependency('absl_flat_hash_set')
absl_inlined_vector_dep = dependency('absl_inlined_vector')
absl_strings_dep = dependency('absl_strings')
absl_optional_dep = dependency('absl_optional')
# libsrtp2's headers live in /usr/include/srtp2 but the worker includes <srtp.h>.
libsrtp2_inc = declare_dependency(compile_args: ['-I/usr/include/srtp2'])

libwebrtc_include_directories = include_directories('include')
subdir('deps/libwebrtc')

dependencies = [
  absl_dep,
  absl_set_dep,
  absl_inlined_vector_dep,
  openssl_dep,
  nlohmann_json_dep,
  libuv_dep,
  libsrtp2_dep,
  libsrtp2_inc,
  usrsctp_dep,
  libwebrtc_dep,
]

executable(
  'mediasoup-worker',
  build_by_default: true,
  install: true,
  install_tag: 'mediasoup-worker',
  dependencies: dependencies,
  sources: common_sources + ['src/main.cpp'],
  include_directories: include_directories('include'),
  cpp_args: cpp_args + ['-DMS_EXECUTABLE'],
)
"""
top.write_text(text)

webrtc = src / 'deps' / 'libwebrtc' / 'meson.build'
text = webrtc.read_text()
cut = text.index('abseil_cpp_proj = subproject(')
text = text[:cut] + """local_include_directories = declare_dependency(
  include_directories: include_directories('libwebrtc')
)

libwebrtc = library(
  'libwebrtc',
  libwebrtc_sources,
  dependencies: [
    local_include_directories,
    openssl_dep,
    absl_strings_dep,
    absl_optional_dep,
    nlohmann_json_dep,
    libuv_dep,
  ],
  include_directories: libwebrtc_include_directories,
  cpp_args: cpp_args,
)

libwebrtc_dep = declare_dependency(
  dependencies: [
    local_include_directories,
    absl_strings_dep,
    absl_optional_dep,
  ],
  include_directories: include_directories('.'),
  link_with: libwebrtc,
)
"""
webrtc.write_text(text)
PY

# --- 4. Build -----------------------------------------------------------------------------
log "configuring mediasoup $version worker"
meson setup "$work/build" "$src" --buildtype=release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
  --wrap-mode=nodownload >&2
log "compiling with $jobs jobs (takes a few minutes)"
ninja -C "$work/build" -j "$jobs" mediasoup-worker >&2

mkdir -p "$(dirname "$out")"
# Atomic: a concurrent run never sees a half-written binary.
install -m 0755 "$work/build/mediasoup-worker" "$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
log "built $out"
echo "$out"
