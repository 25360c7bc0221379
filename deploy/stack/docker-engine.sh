#!/usr/bin/env bash
# Makes sure a Docker engine answers, for the compose stack checks.
#   deploy/stack/docker-engine.sh start   # installs Debian's docker.io when absent and starts
#                                         # dockerd only if no engine answers
#   deploy/stack/docker-engine.sh stop    # stops the dockerd that `start` started, nothing else
# State lives in $CONCLAVE_CACHE_DIR/dockerd (the pid of a daemon we started, and its log).
set -euo pipefail
cache="${CONCLAVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conclave}"
state="$cache/dockerd"
log() { echo "docker-engine: $*" >&2; }

start() {
  if docker info >/dev/null 2>&1; then return 0; fi
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
      log "no Docker engine; install one (Debian: apt-get install docker.io)"; exit 1
    fi
    log "installing Debian's docker.io"
    apt-get update -qq >&2
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >&2
    rm -f /usr/sbin/policy-rc.d
    # An engine may have been there all along, shared through its socket (a CI container).
    docker info >/dev/null 2>&1 && return 0
  fi
  mkdir -p "$state"
  log "starting dockerd (log: $state/dockerd.log)"
  nohup dockerd >"$state/dockerd.log" 2>&1 &
  echo $! >"$state/pid"
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  log "dockerd did not answer within 60 s:"; tail -n 20 "$state/dockerd.log" >&2; exit 1
}

stop() {
  [ -f "$state/pid" ] || return 0
  local pid; pid="$(cat "$state/pid")"; rm -f "$state/pid"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
