#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL and Redis on free loopback ports for tests, benchmarks
# and CI. Nothing listens beyond 127.0.0.1 and all data lives under $INFRA_DIR.
#   scripts/test-infra.sh start   # prints the env file path; `source` it for DATABASE_URL/REDIS_URL
#   scripts/test-infra.sh stop
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Outside the clone: PostgreSQL runs as its own user, which may not be able to enter the clone.
INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/conclave-test-infra-$(printf '%s' "$root" | cksum | cut -d' ' -f1)}"
env_file="$INFRA_DIR/env"

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }; done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  echo "test-infra: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# The servers recorded as running still answer (a killed run or a reboot leaves the record).
answering() {
  local pg_port redis_port
  read -r pg_port redis_port < "$INFRA_DIR/running" || return 1
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$pg_port"
}

start() {
  if [ -f "$env_file" ] && [ -f "$INFRA_DIR/running" ]; then
    if answering; then echo "$env_file"; return; fi
    echo "test-infra: the recorded servers do not answer; starting new ones" >&2
    stop
  fi
  command -v redis-server >/dev/null || { echo "test-infra: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  local bin pg_port redis_port run_as=()
  bin="$(pg_bin)"
  rm -rf "$INFRA_DIR"; mkdir -p "$INFRA_DIR/pg" "$INFRA_DIR/redis"; chmod 755 "$INFRA_DIR"
  cd /
  # PostgreSQL refuses to run as root; run it as the owner of the data directory.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$INFRA_DIR/pg"
    run_as=(runuser -u postgres --)
  fi
  pg_port="$(free_port)"; redis_port="$(free_port)"
  "${run_as[@]}" "$bin/initdb" -D "$INFRA_DIR/pg/data" -U conclave --auth=trust --no-sync -E UTF8 >"$INFRA_DIR/pg/initdb.log"
  "${run_as[@]}" "$bin/pg_ctl" -D "$INFRA_DIR/pg/data" -l "$INFRA_DIR/pg/server.log" -w \
    -o "-h 127.0.0.1 -p $pg_port -k $INFRA_DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  "${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U conclave conclave
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
    --dir "$INFRA_DIR/redis" --pidfile "$INFRA_DIR/redis/redis.pid" --logfile "$INFRA_DIR/redis/redis.log"
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  cat >"$env_file" <<ENV
export DATABASE_URL=postgresql://conclave@127.0.0.1:$pg_port/conclave
export REDIS_URL=redis://127.0.0.1:$redis_port
ENV
  echo "$pg_port $redis_port" > "$INFRA_DIR/running"
  echo "$env_file"
}

stop() {
  [ -f "$INFRA_DIR/running" ] || return 0
  cd /
  local bin run_as=()
  bin="$(pg_bin)"
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  "${run_as[@]}" "$bin/pg_ctl" -D "$INFRA_DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  # Through its port, not its pid file: after a reboot that pid may be another program's.
  local redis_port
  redis_port="$(cut -d' ' -f2 "$INFRA_DIR/running")"
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -f "$INFRA_DIR/running"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
