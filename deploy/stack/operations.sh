#!/usr/bin/env bash
# Operations on the running compose stack of deploy/stack/stack.sh, as docs/operations.md tells
# an operator to do them, each checked with a permanent room that must still take joins:
#
#   deploy/stack/operations.sh persistence   `docker compose down` + `up` keeps the room
#   deploy/stack/operations.sh backup        the backup and restore commands of operations.md,
#                                            restored into an empty database
#   deploy/stack/operations.sh restarts      restart sfu, mls-ds, api and redis one at a time;
#                                            seconds until a join works and until healthy
#                                            (a meeting's own recovery, with browsers, is
#                                            test/security/src/stack/restarts.stack.ts)
#   deploy/stack/operations.sh upgrade REV   start REV's images (built from a checkout of REV),
#                                            make the room, then upgrade to this tree's images
#                                            with the documented steps
# Prints one `operations: …` line per result; exits non-zero on the first failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
PATH="$(scripts/ensure-node.sh):$PATH"
export PATH
eval "$(deploy/stack/stack.sh env)"
export NODE_EXTRA_CA_CERTS="$STACK_CA"
room="$STACK_DIR/room.json"
compose() { deploy/stack/stack.sh compose "$@"; }
say() { echo "operations: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
join_room() { node deploy/stack/room.mjs join --api "$STACK_URL" --file "$room" >/dev/null; }
# Retries a join until it works (bounded): services come back at their own pace.
join_within() {
  local deadline=$(($(date +%s) + $1))
  until join_room 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { join_room; return 1; }
    sleep 0.5
  done
}
fresh_room() { node deploy/stack/room.mjs create --api "$STACK_URL" --file "$room" >/dev/null; join_room; }

persistence() {
  fresh_room
  local t0; t0=$(now)
  compose down --timeout 20 >/dev/null 2>&1
  compose up -d --wait --wait-timeout 300 >/dev/null 2>&1
  join_within 60
  say "down + up: the permanent room takes joins again ($(since "$t0") s)"
}

backup() {
  fresh_room
  local dump="$STACK_DIR/conclave-backup.dump"
  # docs/operations.md, "Backup (consistent, while running)"
  compose exec -T postgres pg_dump -U conclave -d conclave --format=custom >"$dump"
  say "backup: $(stat -c %s "$dump") bytes"
  # Lose the database (only its volume: Caddy's keeps the CA the checks trust); a fresh one
  # is migrated on start.
  compose down --timeout 20 >/dev/null 2>&1
  docker volume rm "${STACK_PROJECT}_postgres-data" >/dev/null
  compose up -d --wait --wait-timeout 300 >/dev/null 2>&1
  if join_room 2>/dev/null; then say "the room survived losing its volume; the check proves nothing"; return 1; fi
  # docs/operations.md, "Restore into an empty database"
  compose exec -T postgres pg_restore -U conclave -d conclave --clean --if-exists <"$dump"
  join_within 30
  say "restore: the permanent room takes joins again"
}

restarts() {
  fresh_room
  local svc t0
  for svc in sfu mls-ds api redis; do
    t0=$(now)
    compose restart "$svc" >/dev/null 2>&1
    local restarted joined; restarted=$(since "$t0")
    join_within 60
    joined=$(since "$t0")
    compose up -d --wait --wait-timeout 120 >/dev/null 2>&1
    say "restart $svc: container back in $restarted s, taking joins after $joined s, healthy after $(since "$t0") s"
  done
}

upgrade() {
  local rev="${1:?usage: operations.sh upgrade REV}" old
  old="$(mktemp -d "${TMPDIR:-/tmp}/conclave-upgrade.XXXXXX")"
  git worktree add -q --detach "$old/tree" "$rev"
  cp -r deploy/compose/secrets "$old/tree/deploy/compose/"
  local t0
  old_compose() {
    docker compose --project-directory "$old/tree" -f "$old/tree/compose.yaml" -p "$STACK_PROJECT" \
      --env-file "$STACK_DIR/stack.env" "$@"
  }
  # REV starts on an empty database, as a deployment of REV did; its schema may be older.
  compose down --timeout 20 >/dev/null 2>&1
  docker volume rm "${STACK_PROJECT}_postgres-data" >/dev/null
  t0=$(now)
  CONCLAVE_VERSION=previous old_compose build >"$STACK_DIR/upgrade-build.log" 2>&1
  CONCLAVE_VERSION=previous old_compose up -d --wait --wait-timeout 300 >"$STACK_DIR/upgrade-up.log" 2>&1 ||
    { tail -n 20 "$STACK_DIR/upgrade-up.log"; return 1; }
  say "upgrade: $rev's images built and running ($(since "$t0") s)"
  fresh_room
  # docs/operations.md, "Upgrades": build the new images, then `docker compose up -d`.
  t0=$(now)
  compose build >/dev/null 2>&1
  compose up -d --wait --wait-timeout 300 >/dev/null 2>&1
  join_within 60
  say "upgrade: to this tree's images in $(since "$t0") s; the permanent room takes joins"
  git worktree remove --force "$old/tree"
  rm -rf "$old"
}

case "${1:-}" in
  persistence) persistence ;;
  backup) backup ;;
  restarts) restarts ;;
  upgrade) shift; upgrade "$@" ;;
  *) echo "usage: $0 persistence|backup|restarts|upgrade REV" >&2; exit 2 ;;
esac
