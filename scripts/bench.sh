#!/usr/bin/env bash
# Benchmarks occhat against the peers a user would pick instead, side by side in one run on this
# machine (issue 6), and prints one table:
#   relay     build/bench/occhat-bench relay --all  vs  mosquitto QoS 1 + bench/peers/mqtt_bench.c
#   backlog   occhat-bench backlog                  vs  mqtt_bench --mode backlog (persistent session)
#   conns     occhat-bench connections              (targets only: no peer)
#   room      occhat-bench room                     (a 1,000-member room; against occhat's 1:1 relay)
#   files     occhat-bench files                    vs  nginx (sendfile) + curl, `curl -C -` resume
#   ceiling   iperf3 over loopback
#   python    bench/python_events.py: 1,000 events through occhat.aio vs the synchronous API
# Every JSON line goes to BUILD/bench-results.jsonl; bench/report.py renders the table, and a full
# run (not --quick, or with --write-results) writes bench/RESULTS.md. A run that could not build
# occhat or get every figure from occhat-bench exits 1 and leaves bench/RESULTS.md as it is.
# Peers run on 127.0.0.1 on free ports with configs generated in a temp dir, and are stopped on
# exit. Every step runs under `timeout`: a full run measures for under 10 minutes, --quick under 2
# (building occhat first is not counted). Needs no terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
exec </dev/null

usage() {
  echo "usage: scripts/bench.sh [--quick] [--no-install] [--write-results]" >&2
  echo "  --quick          short runs and a 256 MiB file (a smoke run; no bench/RESULTS.md)" >&2
  echo "  --no-install     do not run scripts/setup.sh bench (the peers must be installed)" >&2
  echo "  --write-results  write bench/RESULTS.md even with --quick" >&2
  echo "  OCCHAT_BENCH_BUILD_DIR overrides ./build, OCCHAT_BENCH_CMAKE the cmake program." >&2
  echo "  Exits 1, leaving bench/RESULTS.md as it is, when occhat could not be built or measured." >&2
}
quick=0
install=1
write_results=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-install) install=0 ;;
    --write-results) write_results=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option: $arg" >&2; usage; exit 1 ;;
  esac
done
[ "$quick" -eq 1 ] || write_results=1
command_line="scripts/bench.sh${*:+ $*}"

build="${OCCHAT_BENCH_BUILD_DIR:-$root/build}"
cmake="${OCCHAT_BENCH_CMAKE:-cmake}"
jobs="$(nproc 2>/dev/null || echo 2)"
python=/usr/bin/python3
results="$build/bench-results.jsonl"

if [ "$quick" -eq 1 ]; then
  mqtt_seconds=2; mqtt_backlog=20000; file_mib=256; iperf_seconds=2; qflag=(--quick)
  t_relay=45; t_backlog=25; t_conns=40; t_files=40; t_room=90
else
  mqtt_seconds=5; mqtt_backlog=100000; file_mib=1024; iperf_seconds=5; qflag=()
  t_relay=180; t_backlog=90; t_conns=120; t_files=150; t_room=240
fi

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

for tool in mosquitto nginx curl iperf3 cc; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (run scripts/setup.sh bench)"
done

peers_bin="$build/bench-peers"
mkdir -p "$peers_bin"
step "compile bench/peers/mqtt_bench.c"
cc -O2 -Wall -Wextra -o "$peers_bin/mqtt_bench" bench/peers/mqtt_bench.c -lmosquitto -lpthread

# ---- work dirs and cleanup ----------------------------------------------------------------
# Work files live under the build dir so that both servers read and write the disk ./build is on.
mkdir -p "$build/bench-work"
work="$(mktemp -d "$build/bench-work/run.XXXXXX")"
conf="$work/conf"; logs="$work/logs"
mkdir -p "$conf" "$logs"
: >"$work/results.jsonl"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
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

# ---- mosquitto: the relay and backlog peer ------------------------------------------------
port="$(free_port)"
# Persistence off: mosquitto keeps everything in memory (occhat commits every message to disk).
# max_queued_messages 0 (no limit) so that neither a slow subscriber nor the backlog loses
# QoS 1 messages; everything else is mosquitto's default, with Nagle off as occhat has it.
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
mosq_pid=$!; pids+=("$mosq_pid")
if wait_port "$port"; then
  mqtt() {
    local limit="$1"; shift
    step "mqtt_bench $*"
    timeout --kill-after=5 "$limit" "$peers_bin/mqtt_bench" --port "$port" "$@" >"$logs/mqtt.out" \
      || warn "mqtt_bench $* failed (exit $?)"
    cat "$logs/mqtt.out" >&2
    grep '^{' "$logs/mqtt.out" >>"$work/results.jsonl" || true
  }
  mqtt $((mqtt_seconds + 20)) --mode inflight1 --seconds "$mqtt_seconds"
  mqtt $((mqtt_seconds + 20)) --mode window --window 64 --seconds "$mqtt_seconds"
  mqtt $((mqtt_seconds + 20)) --mode rate --rate 5000 --seconds "$mqtt_seconds"
  mqtt 60 --mode backlog --messages "$mqtt_backlog"
else
  warn "mosquitto did not start: $(tail -3 "$logs/mosquitto.log" | tr '\n' ' ')"
fi
stop_pid "$mosq_pid"

# ---- occhat: relay, backlog, connections --------------------------------------------------
run_occhat "$t_relay" relay --all
run_occhat "$t_backlog" backlog
run_occhat "$t_conns" connections
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
