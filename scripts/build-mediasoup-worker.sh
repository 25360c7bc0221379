#!/usr/bin/env bash
# Builds the mediasoup worker binary from the sources inside the mediasoup npm tarball,
# linked against the Debian (bookworm) system libraries instead of mediasoup's meson
# subprojects, which would be downloaded from the internet at build time.
#
# libsrtp is the exception: Debian builds its libsrtp2 against NSS, and with libsrtp's OpenSSL
# backend the worker carries twice as many WebRTC consumers per core (the SFU's WebRtcTransport
# benchmark, docs/sfu.md). So the script builds libsrtp2 from Debian's own source package
# (`apt-get source libsrtp2`: the same 2.5.0 sources and patches) with
# `./configure --enable-openssl`, and ships the shared library beside the worker:
#   <dir>/mediasoup-worker        RUNPATH $ORIGIN/lib (DT_RUNPATH: LD_LIBRARY_PATH still wins)
#   <dir>/lib/libsrtp2.so.1       libsrtp 2.5.0, OpenSSL backend
# Nothing links NSS. Copy the directory as a whole.
#
# Prints the path of the binary on stdout (everything else goes to stderr), so callers can do
#   export MEDIASOUP_WORKER_BIN=$(scripts/build-mediasoup-worker.sh)
#
# Idempotent: when the cached binary and its library exist the path is printed and nothing is
# built. The library's build is cached on its own too, for a rebuild of the worker.
#
# The source package is fetched without touching the system's apt configuration: deb-src
# entries derived from its Debian bookworm `deb` entries go into a temporary sources file, and
# `apt-get update` / `apt-get source` use temporary lists (so no root is needed for that part).
#
# Environment:
#   CONCLAVE_CACHE_DIR      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/conclave)
#   MEDIASOUP_VERSION       mediasoup version to build (default 3.12.16, the version the SFU pins)
#   MEDIASOUP_WORKER_OUT    exact output path of the binary, its library going to lib/ beside it
#                           (default $CONCLAVE_CACHE_DIR/mediasoup-worker-$VERSION-srtp-openssl/mediasoup-worker)
#   MEDIASOUP_SOURCE_TGZ    use this mediasoup-$VERSION.tgz; otherwise the repo's node_modules/mediasoup
#                           when it is that version, else `npm pack mediasoup@$VERSION`
#   BUILD_JOBS              parallel compile jobs (default: number of cores)
#   SKIP_APT=1              never install packages with apt-get, even as root (fetching the
#                           libsrtp2 source package with the temporary lists still happens)
set -euo pipefail

version="${MEDIASOUP_VERSION:-3.12.16}"
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
out="${MEDIASOUP_WORKER_OUT:-$cache/mediasoup-worker-$version-srtp-openssl/mediasoup-worker}"
out_lib="$(dirname "$out")/lib/libsrtp2.so.1"
jobs="${BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
# Debian bookworm's libsrtp2; the cached build is named after it.
srtp_version=2.5.0
srtp_prefix="$cache/libsrtp2-$srtp_version-openssl"

log() { echo "build-mediasoup-worker: $*" >&2; }

if [ -x "$out" ] && [ -f "$out_lib" ]; then
  echo "$out"
  exit 0
fi

# --- 1. Build dependencies (Debian bookworm package names) ---------------------------------
# dpkg-dev unpacks the libsrtp2 source package; make builds it.
packages=(meson ninja-build pkg-config g++ make python3 dpkg-dev libssl-dev nlohmann-json3-dev
  libuv1-dev libusrsctp-dev libabsl-dev)
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

work="$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- 2. libsrtp2 from Debian's source package, with OpenSSL ----------------------------------
# Prints deb822 deb-src stanzas for the Debian bookworm archives among the system's apt
# sources (one-line sources.list entries and deb822 .sources files): main only, and only
# archives whose URI is a Debian archive path (…/debian, …/debian-security, snapshots), so a
# third-party repository that names its suite after the release is left out.
debian_src_sources() {
  python3 - /etc/apt <<'PY'
import glob, os, re, sys
etc = sys.argv[1]
suite_ok = re.compile(r'^bookworm(-updates|-security)?$')
archives = {}  # (URI, Signed-By) -> suites, in the order found

def add(uri, suites, components, signed_by):
    if re.search(r'/debian(-security)?(/|$)', uri) and 'main' in components:
        found = archives.setdefault((uri, signed_by), [])
        found += [s for s in suites if suite_ok.match(s) and s not in found]

def one_line(path):
    for line in open(path, encoding='utf-8', errors='replace'):
        m = re.match(r'^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$', line.split('#', 1)[0].strip())
        if m:
            opts = dict(o.split('=', 1) for o in (m.group(1) or '').split() if '=' in o)
            add(m.group(2), [m.group(3)], m.group(4).split(), opts.get('signed-by', ''))

def deb822(path):
    for stanza in re.split(r'\n\s*\n', open(path, encoding='utf-8', errors='replace').read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith('#'):
                continue
            if line[:1] in (' ', '\t') and key:
                fields[key] += '\n' + line.strip()
            elif ':' in line:
                key, value = line.split(':', 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if 'deb' not in fields.get('types', '').split() or fields.get('enabled', 'yes').lower() == 'no':
            continue
        signed_by = fields.get('signed-by', '')
        signed_by = '' if '\n' in signed_by else signed_by  # an inline key is not carried over
        for uri in fields.get('uris', '').split():
            add(uri, fields.get('suites', '').split(), fields.get('components', '').split(), signed_by)

if os.path.isfile(os.path.join(etc, 'sources.list')):
    one_line(os.path.join(etc, 'sources.list'))
for path in sorted(glob.glob(os.path.join(etc, 'sources.list.d', '*'))):
    if path.endswith('.list'):
        one_line(path)
    elif path.endswith('.sources'):
        deb822(path)
for (uri, signed_by), suites in archives.items():
    if suites:
        print('Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main' % (uri, ' '.join(suites)))
        print('Signed-By: %s\n' % signed_by if signed_by else '')
PY
}

build_libsrtp() {
  local apt="$work/apt"
  mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache" "$apt/src"
  debian_src_sources >"$apt/sources.list.d/debian-src.sources"
  if [ ! -s "$apt/sources.list.d/debian-src.sources" ]; then
    log "no Debian bookworm archive (main) among the apt sources in /etc/apt; cannot fetch libsrtp2's source"
    exit 1
  fi
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
  if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
    # apt downloads as its sandbox user; let it write where the source package goes.
    chmod 0755 "$work" "$apt"
    chown _apt "$apt/src"
  fi
  log "fetching Debian's libsrtp2 source package ($(sed -n 's/^URIs: //p' "$apt/sources.list.d/debian-src.sources" | paste -sd ' '))"
  apt-get "${opts[@]}" -qq update >&2 || log "apt-get update reported errors; trying the sources it fetched"
  (cd "$apt/src" && apt-get "${opts[@]}" -qq source libsrtp2 >&2)
  local src="$apt/src/libsrtp2-$srtp_version" stage="$work/srtp-stage" debian_version
  if [ ! -f "$src/debian/changelog" ]; then
    log "Debian's libsrtp2 source is not $srtp_version: $(ls "$apt/src")"
    exit 1
  fi
  debian_version="$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)"
  log "building libsrtp2 $debian_version with OpenSSL"
  (cd "$src" && ./configure --quiet --enable-openssl --prefix="$srtp_prefix" >&2 \
    && make -s -j "$jobs" shared_library >&2 \
    && make -s install DESTDIR="$stage" >&2)
  echo "$debian_version" >"$stage$srtp_prefix/debian-version"
  # Atomic: a concurrent run never sees a half-installed library.
  mkdir -p "$(dirname "$srtp_prefix")"
  rm -rf "$srtp_prefix.tmp.$$"
  cp -R "$stage$srtp_prefix" "$srtp_prefix.tmp.$$"
  mv -T "$srtp_prefix.tmp.$$" "$srtp_prefix" 2>/dev/null || rm -rf "$srtp_prefix.tmp.$$"
}

if [ -f "$srtp_prefix/lib/libsrtp2.so.1" ] && [ -f "$srtp_prefix/include/srtp2/srtp.h" ]; then
  log "using libsrtp2 from $srtp_prefix"
else
  build_libsrtp
fi
if ! grep -q 'using openssl' "$srtp_prefix/lib/libsrtp2.so.1"; then
  log "$srtp_prefix/lib/libsrtp2.so.1 has no OpenSSL backend; remove that directory and run again"
  exit 1
fi

# --- 3. mediasoup sources ---------------------------------------------------------------------
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

# --- 4. Patch the meson files: system dependencies, no tests or fuzzer --------------------
# Everything in worker/meson.build before the subproject() calls (project(), cpp_args and
# the source list) is kept; the rest is replaced by a build that uses dependency(), and
# libsrtp2 from step 2, found at run time through the RUNPATH $ORIGIN/lib.
python3 - "$src" "$srtp_prefix" <<'PY'
import re, sys, pathlib
src = pathlib.Path(sys.argv[1])
srtp = pathlib.Path(sys.argv[2])

def meson_str(value):
    return "'" + str(value).replace('\\', '\\\\').replace("'", "\\'") + "'"

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
usrsctp_dep = dependency('usrsctp')
absl_dep = dependency('absl_flat_hash_map')
absl_set_dep = dependency('absl_flat_hash_set')
absl_inlined_vector_dep = dependency('absl_inlined_vector')
absl_strings_dep = dependency('absl_strings')
absl_optional_dep = dependency('absl_optional')
# libsrtp2 built with OpenSSL (not Debian's NSS build). Its headers live in include/srtp2 but
# the worker includes <srtp.h>. Linked by path: DT_NEEDED is its soname, libsrtp2.so.1.
libsrtp2_dep = declare_dependency(
  compile_args: ['-I' + """ + meson_str(srtp / 'include' / 'srtp2') + """],
  link_args: [""" + meson_str(srtp / 'lib' / 'libsrtp2.so.1') + """],
)

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
  # lib/libsrtp2.so.1 beside the binary. DT_RUNPATH, not DT_RPATH, so that LD_LIBRARY_PATH
  # can still swap in another libsrtp2.so.1 (Debian's, to compare) without a rebuild.
  build_rpath: '$ORIGIN/lib',
  link_args: ['-Wl,--enable-new-dtags'],
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

# --- 5. Build -----------------------------------------------------------------------------
log "configuring mediasoup $version worker"
meson setup "$work/build" "$src" --buildtype=release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
  --wrap-mode=nodownload >&2
log "compiling with $jobs jobs (takes a few minutes)"
ninja -C "$work/build" -j "$jobs" mediasoup-worker >&2

mkdir -p "$(dirname "$out_lib")"
# Atomic: a concurrent run never sees a half-written file, and the binary (what callers and
# the check at the top look for) comes last.
install -m 0644 "$srtp_prefix/lib/libsrtp2.so.1" "$out_lib.tmp.$$"
mv -f "$out_lib.tmp.$$" "$out_lib"
install -m 0755 "$work/build/mediasoup-worker" "$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
log "built $out"
echo "$out"
