#!/usr/bin/env bash
# A local occhat cluster on this machine, for trying it and for tests (issue 17, item 6): a
# throwaway PostgreSQL (scripts/pg-cluster.sh), a nats-server and N occhat-server nodes on free
# loopback ports, every node with --store, --bus, --node-id nodeI and one shared --files-dir.
#
#   scripts/cluster.sh [--dir DIR] up [N] [--no-fsync] [--startup-wait S] [-- NODE FLAGS...]
#        N nodes (default 3). Prints the clients' --server list (HOST:PORT,HOST:PORT,...) on
#        stdout, how to use it and where the logs are on stderr. The nodes are started BEFORE
#        nats-server, so every `up` shows that they wait for it (bounded by --startup-wait,
#        default 30) instead of failing. NODE FLAGS go to every node (e.g. --message-rate 0).
#        --no-fsync: PostgreSQL with fsync off (tests only; by default it syncs, as for real).
#   scripts/cluster.sh [--dir DIR] down        stops everything `up` started, removes the state
#   scripts/cluster.sh [--dir DIR] status      each part: running or stopped, with its address
#   scripts/cluster.sh [--dir DIR] kill PART   SIGKILL a part: a node number I, or nats
#                                              (postgresql: a fast shutdown, pg_ctl cannot be
#                                              SIGKILLed safely by hand)
#   scripts/cluster.sh [--dir DIR] start PART  start that part again, same flags and address
#   scripts/cluster.sh [--dir DIR] servers     prints the --server list again
#
# State (pids, addresses, logs, node data dirs, the shared files dir) lives in DIR, default
# ${XDG_RUNTIME_DIR:-/tmp}/occhat-cluster (or $OCCHAT_CLUSTER_DIR); the PostgreSQL data in a
# directory of its own under /tmp (as root PostgreSQL runs as `postgres`, which must reach it).
# Builds nothing: occhat-server comes from ${OCCHAT_BUILD_DIR:-build}. Needs nats-server and
# postgresql (scripts/setup.sh installs both). Every wait is bounded.
set -eEuo pipefail
exec </dev/null

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${OCCHAT_BUILD_DIR:-$ROOT/build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
SERVER_BIN="$BUILD/server/occhat-server"
DIR="${OCCHAT_CLUSTER_DIR:-${XDG_RUNTIME_DIR:-/tmp}/occhat-cluster}"

say() { echo "cluster.sh: $*" >&2; }
die() { say "$*"; exit 1; }
# The header above, as help: on stdout when asked for, else on stderr with exit 1.
usage() {
  if [ "${1:-1}" = 0 ]; then
    sed -n '6,24p' "$0" | sed 's/^# \{0,1\}//'
  else
    sed -n '6,24p' "$0" | sed 's/^# \{0,1\}//' >&2
  fi
  exit "${1:-1}"
}

now_ms() { date +%s%3N; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Whether PID is a live process (a zombie is not: nobody may have reaped it yet).
running() {
  local pid="$1" state
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [ -n "$state" ] && [ "$state" != Z ]
}

# Whether PID is running and its command line names $2: guards against a pid the kernel has
# since given to something else. Not for a process just started: until its exec it is a copy of
# this script.
alive() {
  running "$1" || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# Waits (<= 5 s) until the process just started as PID has exec'd NAME (or is gone), so that
# `alive` and the pid file name it from then on.
await_exec() {
  local deadline=$(( $(now_ms) + 5000 ))
  while running "$1" && ! alive "$1" "$2" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.01; done
}

# Sends SIGNAL to PID (if it is still NAME) and waits up to SECONDS for it to be gone.
stop_pid() {
  local pid="$1" name="$2" signal="$3" seconds="$4" deadline
  alive "$pid" "$name" || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  deadline=$(( $(now_ms) + seconds * 1000 ))
  while alive "$pid" "$name" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  if alive "$pid" "$name"; then
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$(( $(now_ms) + 5000 ))
    while alive "$pid" "$name" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  fi
}

nats_binary() {
  command -v nats-server 2>/dev/null || { [ -x /usr/sbin/nats-server ] && echo /usr/sbin/nats-server; } ||
    die "nats-server not found (install Debian's nats-server: scripts/setup.sh)"
}

load_state() {
  [ -f "$DIR/cluster.env" ] || die "no cluster in $DIR (start one with: scripts/cluster.sh up)"
  # shellcheck source=/dev/null
  . "$DIR/cluster.env"
  NODE_FLAGS=()
  if [ -s "$DIR/node-flags" ]; then mapfile -d '' -t NODE_FLAGS <"$DIR/node-flags"; fi
}

# ---- nodes -------------------------------------------------------------------------------------

# Starts node I listening on LISTEN (HOST:PORT; port 0 the first time) in the background.
launch_node() {
  local i="$1" listen="$2" d="$DIR/node$1"
  mkdir -p "$d/data"
  : >"$d/out"
  echo "--- $(date -u +%FT%TZ) start on $listen" >>"$d/log"
  # setsid: a Ctrl-C meant for this script does not reach the nodes; `down` stops them.
  setsid "$SERVER_BIN" --listen "$listen" --data-dir "$d/data" --store "$STORE" --bus "$BUS" \
    --node-id "node$i" --files-dir "$DIR/files" --startup-wait "$STARTUP_WAIT" \
    ${NODE_FLAGS[@]+"${NODE_FLAGS[@]}"} </dev/null >"$d/out" 2>>"$d/log" &
  echo $! >"$d/pid"
  await_exec $! occhat-server
}

# Waits (start-up wait + 15 s) for node I's listening line; records its address. Returns 1 if
# the node exited or did not come up.
await_node() {
  local i="$1" d="$DIR/node$1" pid deadline line
  pid="$(cat "$d/pid")"
  deadline=$(( $(now_ms) + (STARTUP_WAIT + 15) * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    line="$(sed -n 's/^listening on //p' "$d/out" 2>/dev/null | head -n1)"
    if [ -n "$line" ]; then
      echo "$line" >"$d/address"
      return 0
    fi
    running "$pid" || return 1
    sleep 0.05
  done
  stop_pid "$pid" occhat-server KILL 5
  return 1
}

# Node I's log since its last start.
last_start_log() {
  awk '/^--- .* start on /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$DIR/node$1/log" 2>/dev/null
}

node_failed() {
  local i="$1"
  say "node$i did not start; the end of its log ($DIR/node$i/log):"
  last_start_log "$i" | tail -n 5 >&2 || true
}

node_count() { local n=0; while [ -d "$DIR/node$((n + 1))" ]; do n=$((n + 1)); done; echo "$n"; }

server_list() {
  local i list=""
  for i in $(seq 1 "$(node_count)"); do list="${list:+$list,}$(cat "$DIR/node$i/address")"; done
  echo "$list"
}

# ---- NATS ----------------------------------------------------------------------------------------

launch_nats() {
  echo "--- $(date -u +%FT%TZ) start on 127.0.0.1:$NATS_PORT" >>"$DIR/nats.log"
  setsid "$NATS_BIN" -a 127.0.0.1 -p "$NATS_PORT" </dev/null >>"$DIR/nats.log" 2>&1 &
  echo $! >"$DIR/nats.pid"
  await_exec $! nats-server
}

await_nats() {
  local pid deadline
  pid="$(cat "$DIR/nats.pid")"
  deadline=$(( $(now_ms) + 10000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; then return 0; fi
    running "$pid" || break
    sleep 0.05
  done
  say "nats-server did not start on 127.0.0.1:$NATS_PORT; the end of its log ($DIR/nats.log):"
  tail -n 5 "$DIR/nats.log" >&2 || true
  return 1
}

# ---- commands ------------------------------------------------------------------------------------

cmd_up() {
  local n=3 no_fsync=() wait_s=30
  NODE_FLAGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --no-fsync) no_fsync=(--no-fsync); shift ;;
      --startup-wait) [ $# -ge 2 ] || usage; wait_s="$2"; shift 2 ;;
      --) shift; NODE_FLAGS=("$@"); break ;;
      -h|--help) usage 0 ;;
      *[!0-9]*|"") die "up: unknown argument '$1' (usage: scripts/cluster.sh up [N] [--no-fsync] [--startup-wait S] [-- NODE FLAGS])" ;;
      *) n="$1"; shift ;;
    esac
  done
  [ "$n" -ge 1 ] && [ "$n" -le 50 ] || die "up: N must be between 1 and 50, got $n"
  case "$wait_s" in ""|*[!0-9]*) die "up: --startup-wait takes seconds, got '$wait_s'" ;; esac
  [ -x "$SERVER_BIN" ] || die "$SERVER_BIN not found: build first (scripts/test.sh, or cmake -S . -B build && cmake --build build; OCCHAT_BUILD_DIR names another build dir)"
  NATS_BIN="$(nats_binary)"

  mkdir -p "$(dirname "$DIR")"
  if ! mkdir "$DIR" 2>/dev/null; then
    if [ -e "$DIR" ] && [ ! -O "$DIR" ]; then die "$DIR belongs to another user: choose another with --dir DIR"; fi
    die "a cluster is already up in $DIR (see scripts/cluster.sh status; stop it with scripts/cluster.sh down)"
  fi
  # From here on a failure takes down what was started.
  trap 'say "up failed; stopping what was started"; cmd_down >/dev/null 2>&1 || true' ERR
  trap 'cmd_down >/dev/null 2>&1 || true; exit 130' INT TERM
  mkdir -p "$DIR/files"
  STARTUP_WAIT="$wait_s"
  local flag
  : >"$DIR/node-flags"
  for flag in ${NODE_FLAGS[@]+"${NODE_FLAGS[@]}"}; do printf '%s\0' "$flag" >>"$DIR/node-flags"; done

  # Not under $DIR: as root the cluster runs as postgres, which may not enter $DIR.
  PG_DIR="$(mktemp -d /tmp/occhat-cluster-pg-XXXXXX)"
  echo "PG_DIR=$PG_DIR" >"$DIR/cluster.env"
  say "starting PostgreSQL in $PG_DIR"
  STORE="$(bash "$ROOT/scripts/pg-cluster.sh" start ${no_fsync[@]+"${no_fsync[@]}"} "$PG_DIR")" ||
    { say "PostgreSQL did not start"; false; }
  NATS_PORT="$(free_port)"
  BUS="nats://127.0.0.1:$NATS_PORT"
  cat >"$DIR/cluster.env" <<EOF
PG_DIR='$PG_DIR'
STORE='$STORE'
NATS_BIN='$NATS_BIN'
NATS_PORT='$NATS_PORT'
BUS='$BUS'
STARTUP_WAIT='$STARTUP_WAIT'
EOF

  local i
  for i in $(seq 1 "$n"); do launch_node "$i" 127.0.0.1:0; done
  say "started $n nodes before NATS: they wait for $BUS (--startup-wait $STARTUP_WAIT)"
  sleep 0.5
  for i in $(seq 1 "$n"); do
    alive "$(cat "$DIR/node$i/pid")" occhat-server || { node_failed "$i"; false; }
  done
  launch_nats
  await_nats
  say "nats-server on $BUS"
  for i in $(seq 1 "$n"); do
    await_node "$i" || { node_failed "$i"; false; }
  done
  trap - ERR INT TERM
  local list
  list="$(server_list)"
  echo "$list" >"$DIR/servers"
  say "$n nodes up on PostgreSQL ($STORE) and NATS ($BUS)."
  say "use it:  OCCHAT_SERVER=$list occhat register --email you@example.org --nick you"
  say "         (or occhat --server $list ...; clients fail over between the nodes)"
  say "logs:    $DIR/node*/log, $DIR/nats.log, $PG_DIR/server.log"
  say "manage:  scripts/cluster.sh status | kill I | start I | down"
  echo "$list"
}

cmd_down() {
  if [ ! -f "$DIR/cluster.env" ]; then
    if [ -d "$DIR" ]; then rm -rf "$DIR"; fi
    say "no cluster in $DIR: nothing to stop"
    return 0
  fi
  load_state
  local i
  for i in $(seq 1 "$(node_count)"); do
    stop_pid "$(cat "$DIR/node$i/pid" 2>/dev/null || true)" occhat-server TERM 10 &
  done
  wait
  stop_pid "$(cat "$DIR/nats.pid" 2>/dev/null || true)" nats-server TERM 10
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then bash "$ROOT/scripts/pg-cluster.sh" stop "$PG_DIR"; fi
  rm -rf "$DIR"
  say "stopped; removed $DIR"
}

# A part's name: a node number (1..N), nats or postgresql.
check_part() {
  case "$1" in
    nats|postgresql) return 0 ;;
    ""|*[!0-9]*) die "unknown part '$1': a node number (1..$(node_count)), nats or postgresql" ;;
  esac
  [ "$1" -ge 1 ] && [ -d "$DIR/node$1" ] || die "no node $1 (nodes: 1..$(node_count))"
}

pg_running() {
  local pid
  pid="$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true)"
  alive "$pid" postgres
}

cmd_kill() {
  [ $# -eq 1 ] || die "usage: scripts/cluster.sh kill I|nats|postgresql"
  load_state
  check_part "$1"
  case "$1" in
    nats)
      alive "$(cat "$DIR/nats.pid")" nats-server || die "nats is not running"
      stop_pid "$(cat "$DIR/nats.pid")" nats-server KILL 5
      say "nats killed" ;;
    postgresql)
      pg_running || die "postgresql is not running"
      bash "$ROOT/scripts/pg-cluster.sh" down "$PG_DIR"
      say "postgresql stopped (fast shutdown)" ;;
    *)
      alive "$(cat "$DIR/node$1/pid")" occhat-server || die "node$1 is not running"
      stop_pid "$(cat "$DIR/node$1/pid")" occhat-server KILL 5
      echo "--- $(date -u +%FT%TZ) SIGKILLed by cluster.sh" >>"$DIR/node$1/log"
      say "node$1 killed" ;;
  esac
}

cmd_start() {
  [ $# -eq 1 ] || die "usage: scripts/cluster.sh start I|nats|postgresql"
  load_state
  check_part "$1"
  case "$1" in
    nats)
      ! alive "$(cat "$DIR/nats.pid")" nats-server || die "nats is already running"
      launch_nats
      await_nats || exit 1
      say "nats-server on $BUS" ;;
    postgresql)
      ! pg_running || die "postgresql is already running"
      bash "$ROOT/scripts/pg-cluster.sh" up "$PG_DIR"
      say "postgresql on $STORE" ;;
    *)
      local i="$1" address tries=0
      ! alive "$(cat "$DIR/node$i/pid")" occhat-server || die "node$i is already running"
      address="$(cat "$DIR/node$i/address")"
      # The old socket's port may be a moment from free again: a few tries.
      until launch_node "$i" "$address" && await_node "$i"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 20 ] || ! last_start_log "$i" | grep -qi 'address already in use'; then
          node_failed "$i"
          exit 1
        fi
        sleep 0.25
      done
      say "node$i listening on $address" ;;
  esac
}

cmd_status() {
  load_state
  local i pid address
  if pg_running; then echo "postgresql running $STORE"; else echo "postgresql stopped $STORE"; fi
  if alive "$(cat "$DIR/nats.pid" 2>/dev/null || true)" nats-server; then echo "nats running $BUS"; else echo "nats stopped $BUS"; fi
  for i in $(seq 1 "$(node_count)"); do
    pid="$(cat "$DIR/node$i/pid" 2>/dev/null || true)"
    address="$(cat "$DIR/node$i/address" 2>/dev/null || echo '-')"
    if alive "$pid" occhat-server; then echo "node$i running $address pid $pid"; else echo "node$i stopped $address"; fi
  done
}

# ---- arguments -----------------------------------------------------------------------------------

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || die "--dir needs a directory"; DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#--dir=}"; shift ;;
    --) args+=("$@"); break ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
set -- ${args[@]+"${args[@]}"}
command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  up) cmd_up "$@" ;;
  down) [ $# -eq 0 ] || die "usage: scripts/cluster.sh down"; cmd_down ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  start) cmd_start "$@" ;;
  servers) load_state; cat "$DIR/servers" ;;
  -h|--help|help) usage 0 ;;
  "") usage ;;
  *) die "unknown command '$command' (up, down, status, kill, start, servers; --help)" ;;
esac
