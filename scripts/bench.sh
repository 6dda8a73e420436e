#!/usr/bin/env bash
# Benchmarks occhat against the peers a user would pick instead, side by side in one run on this
# machine (issues 6 and 15), and prints one table:
#   relay     build/bench/occhat-bench relay, --durability disk and process, per case
#             vs  mosquitto QoS 1 + bench/peers/mqtt_bench.c
#             vs  ejabberd and Prosody (XMPP) + bench/peers/xmpp_bench.c (libstrophe)
#   backlog   occhat-bench backlog  vs  mqtt_bench --mode backlog, xmpp_bench --mode backlog
#   conns     occhat-bench connections  vs  xmpp_bench --mode idle / --mode logins
#   disk      bench/fsync_latency.py: this disk's fdatasync latency, the limit of --durability disk
#   room      occhat-bench room                     (a 1,000-member room; against occhat's 1:1 relay)
#   files     occhat-bench files                    vs  nginx (sendfile) + curl, `curl -C -` resume
#   ceiling   iperf3 over loopback
#   python    bench/python_events.py: 1,000 events through occhat.aio vs the synchronous API
#   cluster   occhat-server nodes on one PostgreSQL + one NATS (issue 17): connections held
#             across 3 nodes, cross-node relay next to one node, a killed node's users going
#             offline (--cluster-only runs just these)
# Every JSON line goes to BUILD/bench-results.jsonl; bench/report.py renders the table, and a full
# run (not --quick, or with --write-results) writes bench/RESULTS.md. A run that could not build
# occhat or get every figure from occhat-bench exits 1 and leaves bench/RESULTS.md as it is.
# Peers run on 127.0.0.1 on free ports with configs generated in a temp dir, and are stopped on
# exit. Every step runs under `timeout`: a full run measures for 20–25 minutes (the last, with the PostgreSQL rows, took 1,328 s) plus 5–8 for the cluster rows (3 rounds took 317–433 s), --quick about 5, --cluster-only 5–8
# (building occhat first is not counted). Needs no terminal.
# Figures that hold still on a shared machine (issue 15): the relay, backlog and connection cases
# run --runs times (default 3; --quick 1), occhat and its peers in turn within each round
# (A B A B A B), and the report gives the median and min–max of each figure and ratio.
# bench/proc_sample.py wraps every load client: server CPU per relayed message (from
# /proc/PID/stat of the server, read from outside the client), the load average at the start and
# the CPU other processes used (a warning when they used more than a quarter of a core).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
exec </dev/null

usage() {
  echo "usage: scripts/bench.sh [--quick] [--runs N] [--cluster-only] [--no-install] [--write-results]" >&2
  echo "  --quick          short runs, 1 round and a 256 MiB file (a smoke run; no bench/RESULTS.md)" >&2
  echo "  --runs N         rounds of the relay, backlog, connection and cluster cases (default 3, --quick 1)" >&2
  echo "  --cluster-only   only the cluster rows (3 nodes on PostgreSQL + NATS; no bench/RESULTS.md)" >&2
  echo "  --no-install     do not run scripts/setup.sh bench (the peers must be installed)" >&2
  echo "  --write-results  write bench/RESULTS.md even with --quick" >&2
  echo "  OCCHAT_BENCH_BUILD_DIR overrides ./build, OCCHAT_BENCH_CMAKE the cmake program." >&2
  echo "  Exits 1, leaving bench/RESULTS.md as it is, when occhat could not be built or measured." >&2
}
quick=0
cluster_only=0
install=1
write_results=0
runs=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  arg="${args[$i]}"
  case "$arg" in
    --runs=*) runs="${arg#--runs=}" ;;
    --runs) i=$((i + 1)); runs="${args[$i]:-}" ;;
    --quick) quick=1 ;;
    --cluster-only) cluster_only=1 ;;
    --no-install) install=0 ;;
    --write-results) write_results=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option: $arg" >&2; usage; exit 1 ;;
  esac
done
# A partial run (--quick, --cluster-only) leaves bench/RESULTS.md, the last full run's, as it is.
[ "$quick" -eq 1 ] || [ "$cluster_only" -eq 1 ] || write_results=1
if [ -z "$runs" ]; then runs=3; [ "$quick" -eq 1 ] && runs=1; fi
if ! [[ "$runs" =~ ^[1-9][0-9]?$ ]]; then echo "bench.sh: --runs needs a number 1..99" >&2; exit 1; fi
command_line="scripts/bench.sh${*:+ $*}"

build="${OCCHAT_BENCH_BUILD_DIR:-$root/build}"
cmake="${OCCHAT_BENCH_CMAKE:-cmake}"
jobs="$(nproc 2>/dev/null || echo 2)"
python=/usr/bin/python3
results="$build/bench-results.jsonl"

# relay_seconds: measured seconds per relay run (after a 1 s warm-up), every system alike.
# xmpp_backlog: what the XMPP peers queue in every round (their storing is slow: ejabberd's
# Mnesia store slows as a user's queue grows); xmpp_backlog_big: one attempt at occhat's backlog
# size, cut at xmpp_limit seconds per phase (store, deliver), reporting how far it got.
if [ "$quick" -eq 1 ]; then
  relay_seconds=2; mqtt_backlog=20000; file_mib=256; iperf_seconds=2; qflag=(--quick)
  t_relay=45; t_backlog=25; t_conns=40; t_files=40; t_room=150
  xmpp_backlog=2000; xmpp_backlog_big=0; xmpp_limit=30; xmpp_idle=300; xmpp_logins=200; fsync_count=300
else
  relay_seconds=5; mqtt_backlog=100000; file_mib=1024; iperf_seconds=5; qflag=()
  t_relay=60; t_backlog=90; t_conns=120; t_files=150; t_room=240
  xmpp_backlog=10000; xmpp_backlog_big=100000; xmpp_limit=60; xmpp_idle=2000; xmpp_logins=1000; fsync_count=1000
fi
mqtt_seconds=$relay_seconds

step() { echo "== bench: $*" >&2; }
warn() { echo "bench: $*" >&2; }

# ---- install and build (not part of the time bound) ---------------------------------------
# Without occhat's own figures a run is no benchmark of occhat: a failed build or a failed
# measurement is an error (exit 1), and bench/RESULTS.md is then left as it is.
fail() {
  warn "$*"
  if [ "$write_results" -eq 1 ]; then warn "bench/RESULTS.md is unchanged"; fi
  exit 1
}
if [ "$install" -eq 1 ]; then bash scripts/setup.sh bench; fi

mkdir -p "$build"
step "configure and build occhat-server, occhat-bench and the Python module ($build, -j$jobs)"
bench_bin="$build/bench/occhat-bench"
build_log="$build/bench-build.log"
# The same configuration as scripts/test.sh, so the two share one build directory. Both targets
# are always built (a no-op when they are up to date).
if ! "$cmake" -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCCHAT_WERROR=ON >"$build_log" 2>&1; then
  tail -20 "$build_log" >&2
  fail "configuring occhat failed (log: $build_log): occhat not measured"
fi
if ! "$cmake" --build "$build" -j"$jobs" --target occhat-server occhat-bench occhat_python >>"$build_log" 2>&1; then
  tail -20 "$build_log" >&2
  fail "building occhat failed (log: $build_log): occhat not measured"
fi
if [ ! -x "$bench_bin" ]; then
  fail "the build succeeded but left no $bench_bin (log: $build_log): occhat not measured"
fi

# The peers' tools and load clients: not needed by --cluster-only (down to "fi  # --cluster-only").
if [ "$cluster_only" -eq 0 ]; then
for tool in mosquitto nginx curl iperf3 cc; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (run scripts/setup.sh bench)"
done

peers_bin="$build/bench-peers"
mkdir -p "$peers_bin"
step "compile bench/peers/mqtt_bench.c and bench/peers/xmpp_bench.c"
cc -O2 -Wall -Wextra -o "$peers_bin/mqtt_bench" bench/peers/mqtt_bench.c -lmosquitto -lpthread
# Without libstrophe the XMPP peers are skipped (and say so), the rest of the run goes on.
xmpp_client_missing=""
if ! pkg-config --exists libstrophe \
   || ! cc -O2 -Wall -Wextra -o "$peers_bin/xmpp_bench" bench/peers/xmpp_bench.c \
          $(pkg-config --cflags --libs libstrophe 2>/dev/null) 2>"$build/xmpp_bench-build.log"; then
  xmpp_client_missing="libstrophe-dev is missing or bench/peers/xmpp_bench.c did not build ($build/xmpp_bench-build.log)"
fi
fi  # --cluster-only

# ---- work dirs and cleanup ----------------------------------------------------------------
# Work files live under the build dir so that both servers read and write the disk ./build is on.
mkdir -p "$build/bench-work"
work="$(mktemp -d "$build/bench-work/run.XXXXXX")"
chmod 711 "$work"  # the XMPP peers run as their own system users, in dirs of their own below
conf="$work/conf"; logs="$work/logs"
mkdir -p "$conf" "$logs"
: >"$work/results.jsonl"
pids=()
pg_dir=""  # the throwaway PostgreSQL cluster of the store rows, while it runs
declare -A xmpp_pid=() xmpp_port=()  # the XMPP peers that run: server pid and port
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${xmpp_pid[@]}"; do stop_server "$pid"; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_dir" ]; then scripts/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$work" bench/RESULTS.md.new
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started_at="$(date +%s)"

emit() { echo "$1" >>"$work/results.jsonl"; }
free_port() {
  "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits until something accepts TCP connections on 127.0.0.1:PORT (at most 10 s).
wait_port() {
  timeout 10 bash -c "until (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; do sleep 0.05; done"
}
stop_pid() {
  if kill -0 "$1" 2>/dev/null; then kill -TERM "$1" 2>/dev/null || true; fi
  wait "$1" 2>/dev/null || true
}
# Runs occhat-bench SUBCOMMAND... under a time limit, working (server data dir, test files) under
# $work so that it uses the same disk as the peers; its JSON lines go to the results.
occhat_failed=()
run_occhat() {
  local limit="$1" name="$2" rc=0 lines
  shift 2
  step "occhat-bench $name $* (at most ${limit}s)"
  timeout --kill-after=10 "$limit" "$bench_bin" "$name" "$@" --work-dir "$work/occhat-$name" "${qflag[@]}" \
    >"$logs/occhat-$name.out" 2> >(tee "$logs/occhat-$name.err" >&2) || rc=$?
  lines="$(grep -c '^{' "$logs/occhat-$name.out" || true)"
  grep '^{' "$logs/occhat-$name.out" >>"$work/results.jsonl" || true
  if [ "$rc" -ne 0 ]; then
    warn "occhat-bench $name exited with $rc (124: timed out)"
    occhat_failed+=("$name (exit $rc)")
  elif [ "$lines" -eq 0 ]; then
    warn "occhat-bench $name printed no result"
    occhat_failed+=("$name (no result)")
  fi
}

version_of() { "$@" 2>&1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -1 || true; }
emit "$(printf '{"bench": "meta", "case": "run", "params": {"quick": %s, "mosquitto": "%s", "nginx": "%s", "curl": "%s", "iperf3": "%s", "libmosquitto": "%s"}, "metrics": {}}' \
  "$([ "$quick" -eq 1 ] && echo true || echo false)" \
  "$(version_of mosquitto -h)" "$(version_of nginx -v)" "$(version_of curl --version)" \
  "$(version_of iperf3 --version)" "$(dpkg-query -W -f='${Version}' libmosquitto-dev 2>/dev/null | cut -d- -f1)")"

# ---- iperf3: the loopback ceiling ---------------------------------------------------------
if [ "$cluster_only" -eq 0 ]; then  # down to "fi  # --cluster-only"
step "iperf3 loopback, ${iperf_seconds}s"
port="$(free_port)"
iperf3 -s -1 -p "$port" -B 127.0.0.1 >"$logs/iperf3-server.log" 2>&1 &
iperf_pid=$!; pids+=("$iperf_pid")
# A probe connection would use up the one test of `-s -1`: wait for its banner instead.
timeout 10 bash -c "until grep -q 'listening' '$logs/iperf3-server.log'; do sleep 0.05; done" || true
if timeout $((iperf_seconds + 20)) iperf3 -c 127.0.0.1 -p "$port" -t "$iperf_seconds" -J \
     >"$logs/iperf3.json" 2>"$logs/iperf3.err"; then
  gbit="$("$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round(d["end"]["sum_received"]["bits_per_second"]/1e9, 2))' "$logs/iperf3.json")"
  emit "{\"bench\": \"iperf3\", \"case\": \"loopback\", \"params\": {\"seconds\": $iperf_seconds, \"streams\": 1}, \"metrics\": {\"gbit_s\": $gbit}}"
  echo "   iperf3: $gbit Gbit/s" >&2
else
  warn "iperf3 failed: $(tail -3 "$logs/iperf3.err" "$logs/iperf3.json" 2>/dev/null | tr '\n' ' ')"
fi
stop_pid "$iperf_pid"
fi  # --cluster-only

# ---- the disk's own limit -------------------------------------------------------------------
# One message in flight with --durability disk cannot beat one fdatasync per message: measured on
# the filesystem of the data dirs ($work), once per round, next to the relay it bounds.
measure_disk() {
  step "fdatasync latency of this disk ($fsync_count × 4 KiB appends in $work)"
  timeout 120 "$python" bench/fsync_latency.py "$work" --count "$fsync_count" \
    | tag_lines "round=$1" | tee -a "$work/results.jsonl" >&2 || warn "fsync_latency.py failed"
}

# Adds params (KEY=VALUE..., numbers stay numbers) to every JSON line on stdin.
tag_lines() {
  "$python" -c '
import json, sys
tags = {}
for kv in sys.argv[1:]:
    k, v = kv.split("=", 1)
    tags[k] = int(v) if v.isdigit() else v
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    rec = json.loads(line)
    rec.setdefault("params", {}).update(tags)
    print(json.dumps(rec))' "$@"
}

# Runs a load client under bench/proc_sample.py (server CPU per message, other processes' CPU,
# load average), tags its JSON lines and appends them to the results.
#   sampled LIMIT LOG SAMPLER-ARGS -- COMMAND...   (TAGS in the global `tags` array)
tags=()
extra_tags=()  # more tags for occhat_relay and occhat_sampled (the store rows' SQLite runs)
sampled() {
  local limit="$1" log="$2" rc=0 sampler=()
  shift 2
  while [ "$1" != "--" ]; do sampler+=("$1"); shift; done
  shift
  timeout --kill-after=10 "$limit" "$python" bench/proc_sample.py "${sampler[@]}" -- "$@" \
    >"$logs/$log.out" 2> >(tee "$logs/$log.err" >&2) || rc=$?
  tag_lines "${tags[@]}" <"$logs/$log.out" | tee -a "$work/results.jsonl" >&2 || true
  return "$rc"
}

pid_on_port() {
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

# ---- occhat -----------------------------------------------------------------------------------
# occhat_relay ROUND DURABILITY CASE-ARGS...: one relay case of occhat-bench against a server with
# --durability DURABILITY (disk: fsynced before the send is confirmed; process: written to the OS).
occhat_relay() {
  local round="$1" durability="$2" rc=0
  shift 2
  step "occhat-bench relay $* --durability $durability (round $round)"
  tags=("round=$round" "durability=$durability" ${extra_tags[@]+"${extra_tags[@]}"})
  sampled "$t_relay" "occhat-relay" --server-child occhat-server -- \
    "$bench_bin" relay "$@" --seconds "$relay_seconds" --work-dir "$work/occhat-relay" \
    --server-arg=--durability="$durability" || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^{' "$logs/occhat-relay.out"; then
    warn "occhat-bench relay $* exited with $rc (124: timed out)"
    occhat_failed+=("relay $* --durability $durability (exit $rc)")
  fi
}

occhat_sampled() {
  local limit="$1" round="$2" durability="$3" name="$4" rc=0
  shift 4
  step "occhat-bench $name $* --durability $durability (round $round)"
  tags=("round=$round" "durability=$durability" ${extra_tags[@]+"${extra_tags[@]}"})
  sampled "$limit" "occhat-$name" --server-child occhat-server -- \
    "$bench_bin" "$name" "$@" --work-dir "$work/occhat-$name" "${qflag[@]}" \
    --server-arg=--durability="$durability" || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^{' "$logs/occhat-$name.out"; then
    warn "occhat-bench $name exited with $rc (124: timed out)"
    occhat_failed+=("$name --durability $durability (exit $rc)")
  fi
}

# ---- mosquitto: the MQTT relay and backlog peer -----------------------------------------------
mosq_pid=""
start_mosquitto() {
  local port
  port="$(free_port)"
  # Persistence off: mosquitto keeps everything in memory. max_queued_messages 0 (no limit) so
  # that neither a slow subscriber nor the backlog loses QoS 1 messages; everything else is
  # mosquitto's default, with Nagle off as occhat has it.
  cat >"$conf/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
EOF
  step "mosquitto on 127.0.0.1:$port"
  mosquitto -c "$conf/mosquitto.conf" >"$logs/mosquitto.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  if wait_port "$port"; then
    mosq_pid="$pid"; mosq_port="$port"
  else
    warn "mosquitto did not start: $(tail -3 "$logs/mosquitto.log" | tr '\n' ' '); its rows are n/a"
  fi
}
mqtt() {
  local round="$1" limit="$2"
  shift 2
  [ -n "$mosq_pid" ] || return 0
  step "mqtt_bench $* (round $round)"
  tags=("round=$round")
  sampled "$limit" mqtt --server-pid "$mosq_pid" -- "$peers_bin/mqtt_bench" --port "$mosq_port" "$@" \
    || warn "mqtt_bench $* failed (exit $?)"
}

# ---- XMPP chat servers: ejabberd and Prosody ---------------------------------------------------
# Each runs from a config written here, on a free loopback port, as its package's system user
# (setpriv keeps our open-files limit; su would reset it to 1,024), with in-band registration,
# SASL PLAIN without TLS (libstrophe cannot pick a mechanism, and SCRAM would make logins
# client-bound), no shaper or rate limit, unlimited offline queues (mod_offline), Nagle off.
# xmpp_peers lists the ones that started; a peer that cannot run is reported and skipped.
xmpp_peers=()
xmpp_users=$(( xmpp_idle > xmpp_logins ? xmpp_idle : xmpp_logins ))
[ "$xmpp_users" -ge 100 ] || xmpp_users=100
peer_skip() {
  warn "$1 is not measured: $2"
  emit "$("$python" -c 'import json,sys; print(json.dumps({"bench": "xmpp", "case": "skipped", "params": {"server": sys.argv[1]}, "metrics": {}, "reason": sys.argv[2]}))' "$1" "$2")"
}
# as_user USER: sets run_as, the prefix that runs a command as USER when we are root.
as_user() {
  run_as=()
  if [ "$(id -u)" -eq 0 ]; then run_as=(setpriv --reuid="$1" --regid="$1" --init-groups); fi
}
# Stops a server we did not start directly (no `wait`): TERM, then KILL after 20 s.
stop_server() {
  local pid="$1" n=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while [ -e "/proc/$pid" ] && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
  [ -e "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
  return 0
}
xmpp_register() {
  local name="$1"
  step "$name: registering $xmpp_users users in band"
  if ! timeout 300 "$peers_bin/xmpp_bench" --port "${xmpp_port[$name]}" --server "$name" --mode register \
       --users "$xmpp_users" --concurrency 50 >"$logs/$name-register.out" 2>&1; then
    peer_skip "$name" "in-band registration failed: $(tail -2 "$logs/$name-register.out" | tr '\n' ' ')"
    return 1
  fi
}
wait_peer_port() {  # servers that boot a VM take longer than wait_port's 10 s on a busy machine
  timeout 90 bash -c "until (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; do sleep 0.2; done"
}

start_ejabberd() {
  local dir="$work/ejabberd" port dist
  if [ -n "$xmpp_client_missing" ]; then peer_skip ejabberd "$xmpp_client_missing"; return 0; fi
  if ! command -v ejabberdctl >/dev/null 2>&1; then peer_skip ejabberd "ejabberdctl not found (scripts/setup.sh bench)"; return 0; fi
  if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != ejabberd ]; then
    peer_skip ejabberd "ejabberdctl runs only as root or the ejabberd user"; return 0
  fi
  port="$(free_port)"; dist="$(free_port)"
  mkdir -p "$dir/conf" "$dir/logs" "$dir/spool"
  # Offline storage is mod_offline on Mnesia (default_db), a disc_only_copies table (DETS):
  # written to the OS, never fsynced per message. Plain passwords: SASL PLAIN, like Prosody's.
  cat >"$dir/conf/ejabberd.yml" <<EOF
hosts:
  - "bench.local"
loglevel: warning
log_rotate_count: 0
certfiles: []
default_db: mnesia
auth_method: internal
auth_password_format: plain
disable_sasl_mechanisms: ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512", "DIGEST-MD5", "X-OAUTH2"]
listen:
  - port: $port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
    max_stanza_size: 262144
    shaper: none
    access: c2s
    backlog: 1024
shaper: {}
shaper_rules:
  max_user_offline_messages: infinity
acl: {}
access_rules:
  c2s:
    allow: all
  register:
    allow: all
registration_timeout: infinity
max_fsm_queue: 1000000
modules:
  mod_register:
    ip_access: all
    access: register
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
EOF
  # ERL_DIST_PORT: no epmd, the node's distribution port on loopback only.
  printf 'ERL_DIST_PORT=%s\nINET_DIST_INTERFACE=127.0.0.1\nERLANG_NODE=occhat-bench-%s@localhost\n' \
    "$dist" "$$" >"$dir/conf/ejabberdctl.cfg"
  cp /etc/ejabberd/inetrc "$dir/conf/" 2>/dev/null || echo '{lookup,["file","native"]}.' >"$dir/conf/inetrc"
  [ "$(id -u)" -eq 0 ] && chown -R ejabberd: "$dir"
  step "ejabberd $(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null) on 127.0.0.1:$port"
  xmpp_port[ejabberd]="$port"
  if ! launch_ejabberd; then
    peer_skip ejabberd "it did not start: $(tail -3 "$dir/logs/ejabberd.log" "$logs/ejabberd.out" 2>/dev/null | tr '\n' ' ')"
    return 0
  fi
  xmpp_register ejabberd && xmpp_peers+=(ejabberd)
}
# Starts (or starts again: same config, same spool, so the users are kept) the ejabberd of this run.
launch_ejabberd() {
  local dir="$work/ejabberd" port="${xmpp_port[ejabberd]}"
  as_user ejabberd
  ( ulimit -n 20000 2>/dev/null || true
    HOME="$dir/spool" exec "${run_as[@]}" ejabberdctl --config-dir "$dir/conf" --logs "$dir/logs" \
      --spool "$dir/spool" foreground ) >>"$logs/ejabberd.out" 2>&1 &
  ejabberd_wrapper=$!; pids+=("$ejabberd_wrapper")
  wait_peer_port "$port" || return 1
  xmpp_pid[ejabberd]="$(pid_on_port "$port")"
}

start_prosody() {
  local dir="$work/prosody" port
  if [ -n "$xmpp_client_missing" ]; then peer_skip prosody "$xmpp_client_missing"; return 0; fi
  if ! command -v prosody >/dev/null 2>&1; then peer_skip prosody "prosody not found (scripts/setup.sh bench)"; return 0; fi
  port="$(free_port)"
  mkdir -p "$dir/data" "$dir/certs"
  # Offline storage is mod_offline on the internal (file) store: appended and flushed to the OS,
  # never fsynced. mod_limits (10 kB/s per client) is off and the archive item limit (10,000 per
  # user's offline queue) raised.
  cat >"$dir/prosody.cfg.lua" <<EOF
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
daemonize = false
log = { warn = "$dir/prosody.log"; error = "*stderr" }
c2s_ports = { $port }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
http_ports = { }
https_ports = { }
c2s_direct_tls_ports = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "offline"; "posix" }
modules_disabled = { "s2s"; "tls"; "limits"; "c2s_limits" }
storage = "internal"
authentication = "internal_plain"
allow_registration = true
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
disable_sasl_mechanisms = { "SCRAM-SHA-1"; "SCRAM-SHA-256"; "DIGEST-MD5" }
storage_archive_item_limit = 100000000
min_seconds_between_registrations = 0
registration_throttle_max = 100000000
network_settings = { nagle = false }
VirtualHost "bench.local"
EOF
  [ "$(id -u)" -eq 0 ] && chown -R prosody: "$dir"
  step "prosody $(dpkg-query -W -f='${Version}' prosody 2>/dev/null | cut -d+ -f1) on 127.0.0.1:$port"
  xmpp_port[prosody]="$port"
  if ! launch_prosody; then
    peer_skip prosody "it did not start: $(tail -3 "$dir/prosody.log" "$logs/prosody.out" 2>/dev/null | tr '\n' ' ')"
    return 0
  fi
  xmpp_register prosody && xmpp_peers+=(prosody)
}
launch_prosody() {
  local dir="$work/prosody" port="${xmpp_port[prosody]}" pid
  as_user prosody
  ( ulimit -n 20000 2>/dev/null || true
    exec "${run_as[@]}" prosody --config "$dir/prosody.cfg.lua" -F ) >>"$logs/prosody.out" 2>&1 &
  pid=$!; pids+=("$pid")
  wait_peer_port "$port" || return 1
  xmpp_pid[prosody]="$(pid_on_port "$port")"
}

# Server RSS per connection needs a freshly started server: a heap that earlier cases grew (a
# backlog, thousands of logins) takes new connections without growing. Restarts each XMPP peer
# on its data (users kept); one that does not come back is dropped from the rest of the run.
restart_xmpp_peers() {
  local name kept=()
  for name in "${xmpp_peers[@]}"; do
    step "$name: restarting (a fresh heap for the RSS figure)"
    stop_server "${xmpp_pid[$name]}"
    [ "$name" = ejabberd ] && [ -n "${ejabberd_wrapper:-}" ] && stop_pid "$ejabberd_wrapper"
    if "launch_$name"; then
      kept+=("$name")
    else
      peer_skip "$name" "it did not start again for the connection case (see $logs/$name.out)"
      unset 'xmpp_pid[$name]'
    fi
  done
  xmpp_peers=(${kept[@]+"${kept[@]}"})
}

# xmpp ROUND LIMIT MODE-ARGS...: one case on every XMPP peer that runs.
xmpp() {
  local round="$1" limit="$2" name
  shift 2
  for name in "${xmpp_peers[@]}"; do
    step "xmpp_bench $name $* (round $round)"
    tags=("round=$round")
    sampled "$limit" "xmpp-$name" --server-pid "${xmpp_pid[$name]}" -- "$peers_bin/xmpp_bench" \
      --port "${xmpp_port[$name]}" --server "$name" --users "$xmpp_users" --server-pid "${xmpp_pid[$name]}" "$@" \
      || warn "xmpp_bench $name $* failed (exit $?)"
  done
}

stop_peers() {
  local pid
  [ -n "$mosq_pid" ] && stop_pid "$mosq_pid"
  for pid in "${xmpp_pid[@]}"; do stop_server "$pid"; done
  # ejabberdctl (the shell that started the Erlang VM) ends with the VM.
  [ -n "${ejabberd_wrapper:-}" ] && stop_pid "$ejabberd_wrapper"
  mosq_pid=""; xmpp_pid=()
}

# ---- the rounds ---------------------------------------------------------------------------------
# Everything from here to the cluster rows is skipped by --cluster-only (down to "fi  # --cluster-only").
if [ "$cluster_only" -eq 0 ]; then
meta_peers() {
  emit "$(printf '{"bench": "meta", "case": "peers", "params": {"runs": %s, "ejabberd": "%s", "prosody": "%s", "libstrophe": "%s", "relay_seconds": %s}, "metrics": {}}' \
    "$runs" "$(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null | cut -d- -f1)" \
    "$(dpkg-query -W -f='${Version}' prosody 2>/dev/null | cut -d- -f1 | cut -d+ -f1)" \
    "$(pkg-config --modversion libstrophe 2>/dev/null)" "$relay_seconds")"
}

start_mosquitto
start_ejabberd
start_prosody
meta_peers

# Connections first: the peers' RSS is measured on freshly started servers (see restart_xmpp_peers).
for ((round = 1; round <= runs; round++)); do
  step "round $round of $runs: idle connections and logins"
  occhat_sampled "$t_conns" "$round" disk connections
  restart_xmpp_peers
  xmpp "$round" 180 --mode idle --clients "$xmpp_idle"
  xmpp "$round" 120 --mode logins --clients "$xmpp_logins" --concurrency 20 --limit 100
done
for ((round = 1; round <= runs; round++)); do
  step "round $round of $runs: relay"
  measure_disk "$round"
  # 1 pair, 1 message in flight per sender
  occhat_relay "$round" disk --pairs 1 --window 1
  occhat_relay "$round" process --pairs 1 --window 1
  mqtt "$round" $((relay_seconds + 20)) --mode inflight1 --seconds "$relay_seconds"
  xmpp "$round" $((relay_seconds + 60)) --mode inflight1 --pairs 1 --seconds "$relay_seconds"
  # 50 pairs, 1 in flight
  occhat_relay "$round" disk --pairs 50 --window 1
  occhat_relay "$round" process --pairs 50 --window 1
  xmpp "$round" $((relay_seconds + 60)) --mode inflight1 --pairs 50 --seconds "$relay_seconds"
  # a window of 64 per sender
  occhat_relay "$round" disk --pairs 50 --window 64
  occhat_relay "$round" process --pairs 50 --window 64
  mqtt "$round" $((relay_seconds + 20)) --mode window --window 64 --seconds "$relay_seconds"
  xmpp "$round" $((relay_seconds + 60)) --mode window --window 64 --pairs 50 --seconds "$relay_seconds"
  # latency at 5,000 msg/s offered
  occhat_relay "$round" disk --pairs 50 --rate 5000
  occhat_relay "$round" process --pairs 50 --rate 5000
  mqtt "$round" $((relay_seconds + 20)) --mode rate --rate 5000 --seconds "$relay_seconds"
  xmpp "$round" $((relay_seconds + 60)) --mode rate --rate 5000 --pairs 50 --seconds "$relay_seconds"
done
for ((round = 1; round <= runs; round++)); do
  step "round $round of $runs: offline backlog"
  occhat_sampled "$t_backlog" "$round" disk backlog
  occhat_sampled "$t_backlog" "$round" process backlog
  mqtt "$round" 90 --mode backlog --messages "$mqtt_backlog"
  xmpp "$round" $((2 * xmpp_limit + 30)) --mode backlog --messages "$xmpp_backlog" --limit "$xmpp_limit"
done
if [ "$xmpp_backlog_big" -gt 0 ]; then
  step "XMPP peers: one attempt at a backlog of $xmpp_backlog_big (at most ${xmpp_limit}s to store, ${xmpp_limit}s to deliver)"
  xmpp 0 $((2 * xmpp_limit + 30)) --mode backlog --messages "$xmpp_backlog_big" --limit "$xmpp_limit"
fi
stop_peers

# ---- PostgreSQL as the store, next to SQLite (issue 16) ---------------------------------------
# A throwaway cluster with fsync on (a commit waits for the WAL flush, as SQLite's --durability
# disk does); a fresh database per case, since the bench seeds its users into the store.
occhat_pg() {
  local round="$1" limit="$2" name="$3" db rc=0
  shift 3
  db="bench_${round}_${name}_$RANDOM"
  if ! psql "$pg_uri" -qc "CREATE DATABASE $db" >/dev/null 2>"$logs/psql.err"; then
    warn "PostgreSQL: cannot create database $db: $(head -1 "$logs/psql.err")"
    occhat_failed+=("$name $* on PostgreSQL (no database)")
    return 0
  fi
  step "occhat-bench $name $* --store postgresql (round $round)"
  tags=("round=$round" "durability=disk" "store=postgresql")
  sampled "$limit" "occhat-pg-$name" --server-child occhat-server -- \
    "$bench_bin" "$name" "$@" --work-dir "$work/occhat-pg-$name" --store "${pg_uri%/*}/$db" || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^{' "$logs/occhat-pg-$name.out"; then
    warn "occhat-bench $name $* on PostgreSQL exited with $rc (124: timed out)"
    occhat_failed+=("$name $* on PostgreSQL (exit $rc)")
  fi
}
# Queueing goes one send at a time per sender on PostgreSQL (a round trip per statement): 100,000
# would take minutes per round, so the store rows queue fewer, the same number on both stores.
pg_backlog=20000
[ "$quick" -eq 1 ] && pg_backlog=5000
step "PostgreSQL store: a throwaway cluster"
if pg_uri="$(scripts/pg-cluster.sh start 2>"$logs/pg-cluster.err")"; then
  pg_dir="$(grep -o '/tmp/occhat-pg-[A-Za-z0-9]*' "$logs/pg-cluster.err" | head -1)"
  emit "$(printf '{"bench": "meta", "case": "postgresql", "params": {"version": "%s"}, "metrics": {}}' \
    "$(psql "$pg_uri" -Atc 'SHOW server_version' 2>/dev/null | cut -d' ' -f1)")"
  for ((round = 1; round <= runs; round++)); do
    step "round $round of $runs: SQLite and PostgreSQL stores"
    extra_tags=("pair=postgresql")  # these SQLite runs are the PostgreSQL rows' own baseline
    occhat_relay "$round" disk --pairs 1 --window 1
    occhat_pg "$round" "$t_relay" relay --pairs 1 --window 1 --seconds "$relay_seconds"
    occhat_relay "$round" disk --pairs 50 --window 64
    occhat_pg "$round" "$t_relay" relay --pairs 50 --window 64 --seconds "$relay_seconds"
    occhat_sampled "$t_backlog" "$round" disk backlog --messages "$pg_backlog"
    extra_tags=()
    occhat_pg "$round" 300 backlog --messages "$pg_backlog"
  done
  scripts/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || warn "PostgreSQL: could not stop the cluster in $pg_dir"
  pg_dir=""
else
  warn "PostgreSQL rows skipped: the throwaway cluster did not start ($(tail -1 "$logs/pg-cluster.err"))"
  emit "$(printf '{"bench": "postgresql", "case": "skipped", "reason": "%s", "params": {}, "metrics": {}}' \
    "the throwaway cluster did not start")"
fi

run_occhat "$t_room" room

# ---- nginx + curl: the file peer ----------------------------------------------------------
file_bytes=$((file_mib * 1024 * 1024))
mkdir -p "$work/www" "$work/nginx"
step "writing a ${file_mib} MiB random file"
timeout 120 head -c "$file_bytes" /dev/urandom >"$work/www/file.bin"
port="$(free_port)"
# `user root` only when root: the workers must read the file in the build tree; a non-root
# nginx ignores the directive with a warning anyway.
user_line=""
if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
cat >"$conf/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $logs/nginx-error.log warn;
events { worker_connections 64; }
http {
  access_log $logs/nginx-access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
  }
}
EOF
step "nginx (sendfile) on 127.0.0.1:$port"
nginx -p "$work/nginx" -e "$logs/nginx-error.log" -c "$conf/nginx.conf" >"$logs/nginx.out" 2>&1 &
nginx_pid=$!; pids+=("$nginx_pid")
if wait_port "$port"; then
  url="http://127.0.0.1:$port/file.bin"
  curl_limit=$((file_mib / 16 + 20))
  # One unmeasured pass so that nginx serves from the page cache in every measured one.
  timeout "$curl_limit" curl -s -o /dev/null "$url" || true
  step "curl to /dev/null"
  null_bps="$(timeout "$curl_limit" curl -sS -o /dev/null -w '%{speed_download}' "$url" || echo 0)"
  step "curl to disk"
  disk_bps="$(timeout "$curl_limit" curl -sS -o "$work/download.bin" -w '%{speed_download}' "$url" || echo 0)"
  half=$((file_bytes / 2))
  truncate -s "$half" "$work/download.bin"
  step "curl -C - resume of the second half"
  read -r resume_bytes resume_bps < <(timeout "$curl_limit" curl -sS -C - -o "$work/download.bin" \
    -w '%{size_download} %{speed_download}\n' "$url" || echo "0 0")
  got="$(stat -c %s "$work/download.bin")"
  if [ "$got" -ne "$file_bytes" ]; then warn "curl resume left $got bytes, expected $file_bytes"; fi
  rm -f "$work/download.bin"
  resent=$((resume_bytes - (file_bytes - half)))
  emit "$("$python" -c '
import json, sys
size, null, disk, rbytes, rbps, resent = sys.argv[1:]
print(json.dumps({"bench": "http", "case": "1file", "params": {"size_bytes": int(size), "peer": "nginx+curl"},
  "metrics": {"download_null_mb_s": round(float(null) / 1e6, 1), "download_disk_mb_s": round(float(disk) / 1e6, 1),
              "resume_mb_s": round(float(rbps) / 1e6, 1), "resume_resent_bytes": int(resent),
              "resume_downloaded_bytes": int(rbytes)}}))' \
    "$file_bytes" "$null_bps" "$disk_bps" "$resume_bytes" "$resume_bps" "$resent")"
  tail -1 "$work/results.jsonl" >&2
else
  warn "nginx did not start: $(tail -3 "$logs/nginx-error.log" "$logs/nginx.out" 2>/dev/null | tr '\n' ' ')"
fi
stop_pid "$nginx_pid"
rm -f "$work/www/file.bin"

run_occhat "$t_files" files

# ---- python: occhat.aio against the synchronous API, same server, same run ---------------
python_runs=5
[ "$quick" -eq 1 ] && python_runs=1
step "python: 1,000 events, occhat.aio vs the synchronous API ($python_runs runs, at most 300s)"
rc=0
PYTHONPATH="$build/python" OCCHAT_SERVER_BINARY="$build/server/occhat-server" TMPDIR="$work" \
  timeout --kill-after=10 300 /usr/bin/python3 bench/python_events.py --events 1000 --runs "$python_runs" \
  >"$logs/python.out" 2> >(tee "$logs/python.err" >&2) || rc=$?
grep '^{' "$logs/python.out" >>"$work/results.jsonl" || true
if [ "$rc" -ne 0 ] || ! grep -q '^{' "$logs/python.out"; then
  warn "bench/python_events.py exited with $rc (124: timed out)"
  occhat_failed+=("python (exit $rc)")
fi
fi  # --cluster-only

# ---- a cluster: nodes on one PostgreSQL and one NATS (issue 17) --------------------------------
# A throwaway PostgreSQL cluster (fsync on) and a nats-server, both on free ports; a fresh
# database per case. Each occhat-bench starts its own node(s) on them (--store, and --bus while
# occhat-server has the flag), so a case's nodes form one cluster:
#   hold    3 occhat-bench connections at once, one per node (one process may open at most 20,000
#           files here), $cluster_clients logged-in idle clients each; a barrier (--ready-file,
#           --go-file) makes them hold at the same time, and ss counts the connections the 3
#           nodes hold at that moment; server RSS per connection per node.
#   single / cross   relay 1 in flight (1 pair), window 64 (50 pairs) and 50 pairs at a fixed
#           rate on one node, then with each pair's two users on two nodes (--nodes 2): every
#           message crosses nodes.
#   kill    occhat-bench node-loss: SIGKILL one of 2 nodes; seconds until its users are offline
#           for a friend on the other.
cluster_nodes=3
cluster_clients=7000  # per node: 21,000 in all
[ "$quick" -eq 1 ] && cluster_clients=2000  # occhat-bench connections --quick caps at 2,000
# The fixed rate of the latency case: well under what one PostgreSQL node relays with a window
# (about 1,400 msg/s in the store rows), so the figure is latency, not queueing.
cluster_rate=500
t_cluster_hold=420
cluster_pg_uri=""
bus_args=()

# Prints the URI of a new, empty database on the cluster's PostgreSQL.
fresh_db() {
  local db="bench_cluster_$1_$RANDOM$RANDOM"
  psql "$cluster_pg_uri" -qc "CREATE DATABASE $db" >/dev/null 2>"$logs/psql.err" || return 1
  echo "${cluster_pg_uri%/*}/$db"
}
cluster_skip() {  # ROLE REASON: a row that cannot be measured in this run, and why
  emit "$("$python" -c 'import json,sys; print(json.dumps({"bench": "cluster", "case": "skipped", "params": {"cluster": sys.argv[1]}, "metrics": {}, "reason": sys.argv[2]}))' "$1" "$2")"
}
# cluster_case ROUND LIMIT ROLE NAME ARGS...: occhat-bench NAME on a fresh database, tagged
# cluster=ROLE.
cluster_case() {
  local round="$1" limit="$2" role="$3" name="$4" db rc=0
  shift 4
  if ! db="$(fresh_db "$round")"; then
    warn "cluster: cannot create a database: $(head -1 "$logs/psql.err")"
    occhat_failed+=("$name $* in the cluster rows (no database)")
    return 0
  fi
  step "occhat-bench $name $* (cluster: $role, round $round)"
  tags=("round=$round" "cluster=$role")
  sampled "$limit" "occhat-cluster-$name" --server-child occhat-server -- \
    "$bench_bin" "$name" "$@" --work-dir "$work/occhat-cluster-$name" --store "$db" "${qflag[@]}" || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^{' "$logs/occhat-cluster-$name.out"; then
    warn "occhat-bench $name $* in the cluster rows exited with $rc (124: timed out)"
    occhat_failed+=("$name $* in the cluster rows (exit $rc)")
  fi
}
# cluster_hold ROUND: the connections held across $cluster_nodes nodes.
cluster_hold() {
  local round="$1" db k barrier ready port filter="" established rc ok=1
  local -a clients=() node_args=()
  if ! db="$(fresh_db "$round")"; then
    warn "cluster: cannot create a database: $(head -1 "$logs/psql.err")"
    occhat_failed+=("connections across $cluster_nodes nodes (no database)")
    return 0
  fi
  barrier="$work/cluster-barrier-$round"
  mkdir -p "$barrier"
  step "occhat-bench connections: $cluster_clients clients on each of $cluster_nodes nodes, one client process per node (round $round)"
  for ((k = 1; k <= cluster_nodes; k++)); do
    node_args=()
    [ ${#bus_args[@]} -gt 0 ] && node_args=("${bus_args[@]}" "--server-arg=--node-id=bench-node-$k")
    (
      tags=("round=$round" "cluster=hold" "node=$k")
      sampled "$t_cluster_hold" "occhat-cluster-hold-$k" --server-child occhat-server -- \
        "$bench_bin" connections --clients "$cluster_clients" --password-logins 0 --hold 2 \
        --ready-file "$barrier/ready-$k" --go-file "$barrier/go" --go-timeout 300 \
        --work-dir "$work/occhat-cluster-hold-$k" --store "$db" ${node_args[@]+"${node_args[@]}"} "${qflag[@]}"
    ) &
    clients+=($!)
  done
  # Until every process holds all its clients (or one of them gave up).
  while :; do
    ready=0  # ready-K appears complete (renamed from ready-K.tmp), so only those names count
    for ((k = 1; k <= cluster_nodes; k++)); do [ -f "$barrier/ready-$k" ] && ready=$((ready + 1)); done
    [ "$ready" -eq "$cluster_nodes" ] && break
    for k in "${clients[@]}"; do kill -0 "$k" 2>/dev/null || ok=0; done
    [ "$ok" -eq 1 ] || break
    sleep 0.5
  done
  if [ "$ok" -eq 1 ]; then
    # Counted from outside, while every process waits at the barrier: what the nodes hold at once.
    for ((k = 1; k <= cluster_nodes; k++)); do
      read -r port _ <"$barrier/ready-$k"
      filter+="${filter:+ or }src 127.0.0.1:$port"  # the nodes' side (a client's ephemeral port may be equal)
    done
    established="$(ss -tnH state established "( $filter )" | wc -l)"
    emit "$(printf '{"bench": "cluster", "case": "connections", "params": {"nodes": %s, "clients_per_node": %s, "round": %s, "cluster": "hold"}, "metrics": {"established": %s, "load1_at_start": %s}}' \
      "$cluster_nodes" "$cluster_clients" "$round" "$established" "$(cut -d' ' -f1 /proc/loadavg)")"
    echo "   cluster: $established connections established to the $cluster_nodes nodes at once" >&2
  fi
  touch "$barrier/go"
  for k in "${clients[@]}"; do
    rc=0; wait "$k" || rc=$?
    if [ "$rc" -ne 0 ]; then
      warn "occhat-bench connections (cluster, round $round) exited with $rc (124: timed out)"
      ok=0
    fi
  done
  [ "$ok" -eq 1 ] || occhat_failed+=("connections across $cluster_nodes nodes (round $round)")
}

step "cluster: a throwaway PostgreSQL and a nats-server"
if ! command -v nats-server >/dev/null 2>&1; then
  warn "cluster rows skipped: nats-server is missing (scripts/setup.sh)"
  cluster_skip all "nats-server is missing"
elif ! cluster_pg_uri="$(scripts/pg-cluster.sh start 2>"$logs/cluster-pg.err")"; then
  warn "cluster rows skipped: the throwaway PostgreSQL did not start ($(tail -1 "$logs/cluster-pg.err"))"
  cluster_skip all "the throwaway PostgreSQL did not start"
else
  pg_dir="$(grep -o '/tmp/occhat-pg-[A-Za-z0-9]*' "$logs/cluster-pg.err" | head -1)"
  nats_port="$(free_port)"
  nats-server -a 127.0.0.1 -p "$nats_port" >"$logs/nats-server.log" 2>&1 &
  nats_pid=$!; pids+=("$nats_pid")
  wait_port "$nats_port" || warn "nats-server did not listen on $nats_port ($logs/nats-server.log)"
  if "$build/server/occhat-server" --help 2>/dev/null | grep -q -- '--bus'; then
    bus_args=("--server-arg=--bus=nats://127.0.0.1:$nats_port")
  else
    # Before the bus: the hold row runs on nodes that share only the store; the rows that need
    # pushes between nodes are reported as not measured.
    warn "cluster: this occhat-server has no --bus; only the connections are measured"
  fi
  emit "$(printf '{"bench": "meta", "case": "cluster", "params": {"postgresql": "%s", "nats": "%s", "bus": %s, "rate": %s}, "metrics": {}}' \
    "$(psql "$cluster_pg_uri" -Atc 'SHOW server_version' 2>/dev/null | cut -d' ' -f1)" \
    "$(version_of nats-server --version)" "$([ ${#bus_args[@]} -gt 0 ] && echo true || echo false)" "$cluster_rate")"
  for ((round = 1; round <= runs; round++)); do
    step "round $round of $runs: the cluster"
    cluster_hold "$round"
    relay_cases=("--pairs 1 --window 1" "--pairs 50 --window 64" "--pairs 50 --rate $cluster_rate")
    for relay_case in "${relay_cases[@]}"; do
      # shellcheck disable=SC2086  # the case's words are its options
      cluster_case "$round" "$t_relay" single relay $relay_case --seconds "$relay_seconds"
      if [ ${#bus_args[@]} -gt 0 ]; then
        # shellcheck disable=SC2086
        cluster_case "$round" "$t_relay" cross relay $relay_case --seconds "$relay_seconds" --nodes 2 "${bus_args[@]}"
      fi
    done
    if [ ${#bus_args[@]} -gt 0 ]; then
      cluster_case "$round" 120 kill node-loss "${bus_args[@]}"
    fi
  done
  if [ ${#bus_args[@]} -eq 0 ]; then
    cluster_skip cross "occhat-server has no --bus"
    cluster_skip kill "occhat-server has no --bus"
  fi
  stop_pid "$nats_pid"
  scripts/pg-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || warn "cluster: could not stop the PostgreSQL in $pg_dir"
  pg_dir=""
fi

# ---- results ------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - started_at ))
cp "$work/results.jsonl" "$results"
step "done in ${elapsed}s; $(wc -l <"$results") result lines in $results"
echo
report_args=("$results" --command "$command_line")
if [ ${#occhat_failed[@]} -gt 0 ]; then
  # The table still shows what was measured; bench/RESULTS.md keeps the last good run.
  "$python" bench/report.py "${report_args[@]}"
  fail "occhat was not fully measured: occhat-bench ${occhat_failed[*]} (logs above)"
fi
if [ "$write_results" -eq 1 ]; then
  # Written next to the run's work files, then moved into place only when complete.
  report_args+=(--write "$work/RESULTS.md")
fi
"$python" bench/report.py "${report_args[@]}"
if [ "$write_results" -eq 1 ]; then
  cp "$work/RESULTS.md" bench/RESULTS.md.new
  mv bench/RESULTS.md.new bench/RESULTS.md
  echo "wrote bench/RESULTS.md"
fi
