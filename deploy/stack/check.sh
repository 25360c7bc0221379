#!/usr/bin/env bash
# The compose stack for real, as CI runs it: a Docker engine (Debian's docker.io, started only
# when none answers), a Compose v2 CLI, every image built from the shipped Dockerfiles, the
# stack from the shipped compose.yaml, then a three-browser meeting and the container audit
# against it (test/security/src/stack), and the stack torn down whatever happened.
#
#   deploy/stack/check.sh              (make stack-check)
#   STACK_STAND_INS=1 deploy/stack/check.sh   base images from deploy/stack/stand-in-images.sh
#                                             instead of the registry (CI has no registry)
#   STACK_KEEP=1 …                     leave the stack running afterwards for a look
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
PATH="$(scripts/ensure-node.sh):$PATH"
export PATH

deploy/stack/docker-engine.sh start
cleanup() {
  local status=$?
  if [ "${STACK_KEEP:-0}" != 1 ]; then
    deploy/stack/stack.sh down || true
    deploy/stack/docker-engine.sh stop || true
  fi
  exit "$status"
}
trap cleanup EXIT

if [ "${STACK_STAND_INS:-0}" = 1 ]; then
  t0=$(date +%s)
  eval "$(deploy/stack/stand-in-images.sh)"
  echo "stack-check: stand-in base images ready in $(($(date +%s) - t0)) s"
fi
deploy/stack/stack.sh down
deploy/stack/stack.sh up
eval "$(deploy/stack/stack.sh env)"
echo "stack-check: images built in $(cat "$STACK_DIR/build-seconds") s; sizes:"
for service in api mls-ds sfu web; do
  image="${CONCLAVE_IMAGE_PREFIX:-conclave}/$service:${CONCLAVE_VERSION:-ci}"
  docker image inspect --format '{{.Size}}' "$image" | awk -v i="$image" '{ printf "  %s  %d MB\n", i, $1 / 1e6 }'
done
# The SFU image carries the worker, not the toolchain that built it.
sfu_image="${CONCLAVE_IMAGE_PREFIX:-conclave}/sfu:${CONCLAVE_VERSION:-ci}"
if docker run --rm --entrypoint sh "$sfu_image" -c \
  'for c in cc gcc g++ c++ clang cpp make meson ninja python3; do command -v "$c" && exit 0; done; exit 1'; then
  echo "stack-check: the SFU image ships a compiler or build tool (above)" >&2
  exit 1
fi
echo "stack-check: no compiler or build tool in $sfu_image"
npm run --silent stack -w @conclave/security-tests
