#!/usr/bin/env bash
# Crash consistency (hardening issue, item 3; rooms issue): N sender/recipient pairs send
# messages, alternately 1:1 and to a room the two share, while the server is killed with SIGKILL
# and restarted K times at random moments (same port, same data dir). Afterwards every
# acknowledged message must be in its history exactly once and have been delivered exactly once
# through the recipient's inbox (a room message also exactly once through the sender's own
# inbox, as it reaches every member), and SQLite's integrity check must pass.
# With --cluster (issue 17) the same checks run against a local cluster (scripts/cluster.sh):
# 3 nodes on PostgreSQL + NATS, clients given the whole --server list (each starting at another
# node, so traffic crosses nodes), and random NODES SIGKILLed and restarted while the clients
# fail over to the others.
#
#   scripts/crash-test.sh [--kills K] [--clients N] [--seconds-between MIN MAX] [--keep]
#                         [--store LOCATION | --postgresql | --cluster [--nodes N]]
#
#   --kills K                 SIGKILL + restart K times (default 5)
#   --clients N               sender/recipient pairs (default 8; each user costs one argon2id hash)
#   --seconds-between MIN MAX random pause between kills (default 0.3 1.5)
#   --keep                    keep the work directory (data dir, logs) for inspection
#   --store LOCATION          the server's --store, e.g. postgresql://USER@HOST:PORT/DB (an empty
#                             database); default: SQLite in the work directory
#   --postgresql              a throwaway PostgreSQL cluster of its own (scripts/pg-cluster.sh),
#                             stopped at the end: the server is killed, PostgreSQL keeps running
#   --cluster                 a local cluster of its own (scripts/cluster.sh up, down at the end):
#                             each kill SIGKILLs a random node and starts it again
#   --nodes N                 the cluster's size (default 3)
#   --durability D            the server's --durability, disk (default) or process: a SIGKILL
#                             loses nothing acknowledged either way (process: SQLite's jobs run
#                             on the network thread, README "Durability")
# On PostgreSQL (and a cluster) the integrity line says "not checked" (SQLite's integrity_check has no
# counterpart there); lost and duplicated are checked the same way.
#
# OCCHAT_CRASH_SELF_TEST=lost|duplicated makes the driver fake one loss / one duplicate, to
# check that the checker catches them (the run must then fail).
#
# Uses occhat-server and crash_driver from ${OCCHAT_BUILD_DIR:-build}; builds them (into that
# directory) only if one is missing. Prints, one per line: kills, acknowledged, room acknowledged
# (those of them sent to rooms), lost, duplicated, integrity, then one summary line
# (`summary: kills K, acknowledged A (R to rooms), lost L, duplicated D`); exits non-zero if
# anything was lost or duplicated, the integrity check failed, or a step did not finish in time.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${OCCHAT_BUILD_DIR:-$ROOT/build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

KILLS=5
CLIENTS=8
MIN_GAP=0.3
MAX_GAP=1.5
KEEP=0
STORE=""
OWN_CLUSTER=0
CLUSTER=0
NODES=3
DURABILITY=disk
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) KILLS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --seconds-between) MIN_GAP="$2"; MAX_GAP="$3"; shift 3 ;;
    --keep) KEEP=1; shift ;;
    --store) STORE="$2"; shift 2 ;;
    --postgresql) OWN_CLUSTER=1; shift ;;
    --cluster) CLUSTER=1; shift ;;
    --nodes) NODES="$2"; shift 2 ;;
    --durability) DURABILITY="$2"; shift 2 ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "crash-test: unknown argument $1" >&2; exit 1 ;;
  esac
done
case "$KILLS$CLIENTS$NODES" in *[!0-9]*) echo "crash-test: --kills, --clients and --nodes take numbers" >&2; exit 1 ;; esac
case "$DURABILITY" in disk|process) ;; *) echo "crash-test: --durability takes disk or process" >&2; exit 1 ;; esac

SERVER_BIN="$BUILD/server/occhat-server"
DRIVER_BIN="$BUILD/tests/crash/crash_driver"
if [ ! -x "$SERVER_BIN" ] || [ ! -x "$DRIVER_BIN" ]; then
  echo "crash-test: building occhat-server and crash_driver in $BUILD" >&2
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    # The configuration of scripts/test.sh, which shares this build directory.
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCCHAT_WERROR=ON >&2 || exit 1
  fi
  cmake --build "$BUILD" -j"$(nproc)" --target occhat-server crash_driver >&2 || exit 1
fi

WORK="$(mktemp -d /tmp/occhat-crash-XXXXXX)"
DATA="$WORK/data"
SERVER_PID=""
DRIVER_PID=""
PG_DIR=""
CLUSTER_DIR=""
cluster() { bash "$ROOT/scripts/cluster.sh" --dir "$CLUSTER_DIR" "$@"; }

cleanup() {
  [ -n "$DRIVER_PID" ] && kill -KILL "$DRIVER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "$PG_DIR" ] && bash "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR"
  if [ -n "$CLUSTER_DIR" ] && [ -d "$CLUSTER_DIR" ]; then
    # `down` removes the cluster's directory: keep the nodes' logs for a failed run.
    if [ "$KEEP" = 1 ]; then
      mkdir -p "$WORK/cluster-logs"
      for log in "$CLUSTER_DIR"/node*/log "$CLUSTER_DIR"/nats.log; do
        [ -f "$log" ] && cp "$log" "$WORK/cluster-logs/$(basename "$(dirname "$log")")-$(basename "$log")"
      done
    fi
    cluster down 2>/dev/null
  fi
  if [ "$KEEP" = 1 ]; then echo "crash-test: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "crash-test: $*" >&2
  if [ "$CLUSTER" = 1 ]; then
    echo "crash-test: cluster logs: $WORK/cluster-logs/, driver log: $WORK/driver.err" >&2
  else
    echo "crash-test: server log: $WORK/server.log, driver log: $WORK/driver.err" >&2
  fi
  KEEP=1
  exit 1
}

if [ "$CLUSTER" = 1 ]; then
  [ -z "$STORE" ] && [ "$OWN_CLUSTER" = 0 ] || { echo "crash-test: --cluster brings its own store: no --store or --postgresql" >&2; exit 1; }
  [ "$NODES" -ge 2 ] || { echo "crash-test: --cluster needs --nodes 2 or more (a node is killed at a time)" >&2; exit 1; }
fi
if [ "$OWN_CLUSTER" = 1 ]; then
  [ -z "$STORE" ] || { echo "crash-test: --store and --postgresql exclude each other" >&2; exit 1; }
  # Not under $WORK: as root the cluster runs as postgres, which cannot enter $WORK (0700).
  PG_DIR="$(mktemp -d /tmp/occhat-crash-pg-XXXXXX)"
  STORE="$(bash "$ROOT/scripts/pg-cluster.sh" start --no-fsync "$PG_DIR")" || fail "cannot start a PostgreSQL cluster"
fi
STORE_ARGS=()
STORE_KIND="sqlite"
DB_FILE="$DATA/occhat.db"
if [ -n "$STORE" ]; then
  STORE_ARGS=(--store "$STORE")
  case "$STORE" in
    postgres://*|postgresql://*) STORE_KIND="postgresql" ;;
    sqlite://*) DB_FILE="${STORE#sqlite://}" ;;
    sqlite:*) DB_FILE="${STORE#sqlite:}" ;;
    *) DB_FILE="$STORE" ;;
  esac
fi

# now in milliseconds
now_ms() { date +%s%3N; }

# Starts the server on $1 (HOST:PORT, port 0 = any) and waits (<= 15 s) for its listening line.
# Sets SERVER_PID and ADDRESS. Returns non-zero if it did not come up.
start_server() {
  local listen="$1" out="$WORK/server.out" deadline
  : > "$out"
  "$SERVER_BIN" --listen "$listen" --data-dir "$DATA" ${STORE_ARGS[@]+"${STORE_ARGS[@]}"} --durability "$DURABILITY" --message-rate 0 --register-rate-per-address 0 --register-rate 0 >"$out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  deadline=$(( $(now_ms) + 15000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if grep -q '^listening on ' "$out" 2>/dev/null; then
      ADDRESS="$(sed -n 's/^listening on //p' "$out" | head -n1)"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null
      SERVER_PID=""
      return 1
    fi
    sleep 0.02
  done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
  return 1
}

# Restarts on the same address; the port may need a moment to be free again.
restart_server() {
  local tries=0
  until start_server "$ADDRESS"; do
    tries=$((tries + 1))
    [ "$tries" -ge 50 ] && return 1
    sleep 0.1
  done
}

random_gap() {
  awk -v min="$MIN_GAP" -v max="$MAX_GAP" -v seed="$RANDOM$RANDOM" 'BEGIN { srand(seed); printf "%.3f", min + rand() * (max - min) }'
}

if [ "$CLUSTER" = 1 ]; then
  # The same limits as the single server below; fsync off as for --postgresql (the nodes are
  # killed, never the machine).
  CLUSTER_DIR="$WORK/cluster"
  STORE_KIND="postgresql, a cluster of $NODES nodes"
  ADDRESS="$(cluster up "$NODES" --no-fsync -- --message-rate 0 --register-rate-per-address 0 --register-rate 0 2>>"$WORK/cluster.err")" ||
    fail "the cluster did not start: $(tail -n 5 "$WORK/cluster.err")"
else
  start_server "127.0.0.1:0" || fail "occhat-server did not start"
fi

# The driver: sets up its users, then sends until the stop file appears. Bounded overall.
DRIVER_TIMEOUT=$(( 60 + KILLS * 5 + CLIENTS * 2 ))
"$DRIVER_BIN" --server "$ADDRESS" --pairs "$CLIENTS" --ready-file "$WORK/ready" --stop-file "$WORK/stop" \
  --timeout-seconds "$DRIVER_TIMEOUT" ${OCCHAT_CRASH_SELF_TEST:+--self-test "$OCCHAT_CRASH_SELF_TEST"} \
  >"$WORK/driver.out" 2>"$WORK/driver.err" &
DRIVER_PID=$!

deadline=$(( $(now_ms) + 60000 ))
until [ -f "$WORK/ready" ]; do
  kill -0 "$DRIVER_PID" 2>/dev/null || fail "the driver exited during setup: $(tail -n 5 "$WORK/driver.err")"
  [ "$(now_ms)" -lt "$deadline" ] || fail "the driver did not finish its setup within 60 s"
  sleep 0.05
done

kills=0
while [ "$kills" -lt "$KILLS" ]; do
  sleep "$(random_gap)"
  kill -0 "$DRIVER_PID" 2>/dev/null || fail "the driver exited early: $(tail -n 5 "$WORK/driver.err")"
  if [ "$CLUSTER" = 1 ]; then
    # A random node: its clients fail over to the others while it is down and restarting.
    node=$(( RANDOM % NODES + 1 ))
    cluster kill "$node" 2>>"$WORK/cluster.err" || fail "node$node was not running before kill $((kills + 1))"
    kills=$((kills + 1))
    cluster start "$node" 2>>"$WORK/cluster.err" || fail "node$node did not restart after kill $kills"
    continue
  fi
  kill -KILL "$SERVER_PID" 2>/dev/null || fail "the server was not running before kill $((kills + 1))"
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
  kills=$((kills + 1))
  echo "crash-test: kill $kills" >>"$WORK/server.log"
  restart_server || fail "occhat-server did not restart on $ADDRESS after kill $kills"
done

# Let the clients recover and send for a moment after the last restart, then stop them.
sleep "$(random_gap)"
touch "$WORK/stop"
deadline=$(( $(now_ms) + (DRIVER_TIMEOUT + 10) * 1000 ))
while kill -0 "$DRIVER_PID" 2>/dev/null; do
  [ "$(now_ms)" -lt "$deadline" ] || fail "the driver did not finish in time"
  sleep 0.05
done
wait "$DRIVER_PID"
driver_status=$?
DRIVER_PID=""

# A clean stop, then SQLite's own check of the file. (A cluster is stopped by cleanup.)
[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null
deadline=$(( $(now_ms) + 10000 ))
while kill -0 "$SERVER_PID" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
kill -KILL "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

if [ "$STORE_KIND" != sqlite ]; then
  integrity="not checked (postgresql)"
elif command -v sqlite3 >/dev/null 2>&1; then
  integrity="$(timeout 60 sqlite3 "$DB_FILE" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ' | sed 's/ $//')"
else
  integrity="$(timeout 60 python3 -c 'import sqlite3, sys
print("\n".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check")))' \
    "$DB_FILE" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
fi

echo "store: $STORE_KIND"
echo "kills: $kills"
grep -E '^(acknowledged|room acknowledged|lost|duplicated): ' "$WORK/driver.out"
echo "integrity: ${integrity:-missing}"
count_of() { sed -n "s/^$1: //p" "$WORK/driver.out" | head -n1; }
echo "summary: kills $kills, acknowledged $(count_of acknowledged) ($(count_of 'room acknowledged') to rooms), lost $(count_of lost), duplicated $(count_of duplicated)"
grep -v '^crash_driver: senders retried' "$WORK/driver.err" | head -n 20 >&2
grep '^crash_driver: senders retried' "$WORK/driver.err" >&2

status=0
[ "$driver_status" -eq 0 ] || status=1
[ "$STORE_KIND" != sqlite ] || [ "$integrity" = "ok" ] || status=1
[ "$status" -eq 0 ] || KEEP=1
exit "$status"
