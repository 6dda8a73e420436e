#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, from Debian's postgresql package.
#   scripts/pg-cluster.sh start [--no-fsync] [DIR]
#                                      creates a cluster in DIR (default: a new temp dir) on a
#                                      free port, starts it, prints its connection URI
#                                      (postgresql://occhat@127.0.0.1:PORT/occhat) on stdout
#   scripts/pg-cluster.sh stop DIR     stops that cluster and removes DIR
#   scripts/pg-cluster.sh down DIR     stops the server (fast shutdown), keeping its data: a
#                                      database outage, for tests
#   scripts/pg-cluster.sh up DIR       starts it again on the same port
# The URI's database `occhat` exists; the role `occhat` is a superuser (tests create and drop
# a database per test). The cluster listens on 127.0.0.1 only, with trust authentication, and
# keeps its socket in DIR. Postgres refuses to run as root: as root the server runs as the
# `postgres` user (runuser), owning DIR. --no-fsync (fsync=off, synchronous_commit=off) halves
# the store tests' time: they stop and kill occhat-server, never the machine, so a commit that
# reached PostgreSQL is as good as synced for them. Never for benchmarks.
set -euo pipefail

bindir="${OCCHAT_PG_BINDIR:-}"
if [ -z "$bindir" ]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg-cluster.sh: PostgreSQL server binaries not found (install Debian's postgresql: scripts/setup.sh)" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

server_up() {
  local dir="$1" port="$2" extra=""
  if [ -f "$dir/no-fsync" ]; then extra="-c fsync=off -c synchronous_commit=off"; fi
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=200 $extra" start >/dev/null ||
    { echo "pg-cluster.sh: the server did not start, see $dir/server.log" >&2; cat "$dir/server.log" >&2; exit 1; }
}

start() {
  local no_fsync=0
  if [ "${1:-}" = --no-fsync ]; then no_fsync=1; shift; fi
  local dir="${1:-}"
  if [ -z "$dir" ]; then
    dir="$(mktemp -d /tmp/occhat-pg-XXXXXX)"
    echo "pg-cluster.sh: cluster in $dir (stop it with: scripts/pg-cluster.sh stop $dir)" >&2
  else
    mkdir -p "$dir"
  fi
  if [ "$no_fsync" -eq 1 ]; then touch "$dir/no-fsync"; fi
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  local port
  port="$(free_port)"
  "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U occhat --no-sync -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { echo "pg-cluster.sh: initdb failed, see $dir/initdb.log" >&2; cat "$dir/initdb.log" >&2; exit 1; }
  server_up "$dir" "$port"
  "${as_owner[@]}" "$bindir/psql" -h 127.0.0.1 -p "$port" -U occhat -d postgres -qAt \
    -c "CREATE DATABASE occhat" >/dev/null
  echo "$port" >"$dir/port"
  echo "postgresql://occhat@127.0.0.1:$port/occhat"
}

stop() {
  local dir="${1:?usage: scripts/pg-cluster.sh stop DIR}"
  if [ -d "$dir/data" ]; then
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

down() {
  local dir="${1:?usage: scripts/pg-cluster.sh down DIR}"
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

up() {
  local dir="${1:?usage: scripts/pg-cluster.sh up DIR}"
  server_up "$dir" "$(cat "$dir/port")"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop "${2:-}" ;;
  down) down "${2:-}" ;;
  up) up "${2:-}" ;;
  *) echo "usage: scripts/pg-cluster.sh start [--no-fsync] [DIR] | stop DIR | down DIR | up DIR" >&2; exit 1 ;;
esac
