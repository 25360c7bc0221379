#!/usr/bin/env bash
# Installs the Debian packages that tests and the embedded stack need: PostgreSQL and Redis
# servers (for the distributed-mode tests), Chromium and Firefox ESR (browser tests; Xvfb is the X
# display whose screen headless Firefox shares, having no fake one), and the
# mediasoup worker's build dependencies, curl + openssl for the edge check and the audit's throwaway certificate, and
# certutil (libnss3-tools) for the compose stack test's browser to trust the stack's CA, and
# ffprobe (ffmpeg) to check that a meeting recorded in the browser decodes.
# The worker's libsrtp is built from Debian's source package with OpenSSL (dpkg-dev unpacks it;
# scripts/build-mediasoup-worker.sh). Debian's own libsrtp2-1, built with NSS, is installed only
# as a baseline for benchmarks: the same worker binary runs against it with
# LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu (the worker's RUNPATH gives way to that variable).
# `install-system-deps.sh cluster` installs instead what scripts/cluster.sh runs: etcd, containerd,
# the CNI plugins, iptables, conntrack, dig and python3 (for a node inside a chroot).
# Installs only what is missing; needs root (or prints the apt command).
set -euo pipefail
packages=(postgresql redis-server chromium firefox-esr xvfb meson ninja-build pkg-config g++ make python3 dpkg-dev
  libssl-dev nlohmann-json3-dev libuv1-dev libusrsctp-dev libabsl-dev libsrtp2-1 ca-certificates curl
  openssl libnss3-tools ffmpeg)
if [ "${1:-}" = cluster ]; then
  packages=(etcd-server containerd runc containernetworking-plugins iptables conntrack iproute2 openssl
    dnsutils python3)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
apt-get update -qq >&2
# Keep the distribution's own services (PostgreSQL, Redis, etcd, containerd) from starting: tests
# and scripts/cluster.sh run their own.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
