#!/usr/bin/env bash
# A narrated tour of what occhat can do today: builds, starts a private occhat-server on a free
# port with a fresh data dir, and walks three users (alice, bob and carol, each with their own
# --home) through register, login, whoami, find, friends (add/add), a live message received by a
# `watch` running in the background, offline delivery with `inbox`, history, a 20 MiB file sent
# to bob whose download is killed half way and resumed (sha256sum on both copies), a wrong
# password and logout; then restarts the server with TLS (a private CA from
# scripts/make-certs.sh: a plaintext client is refused, a client given the CA logs in) and runs
# the Python example bindings/python/examples/echo_bot.py (Debian's /usr/bin/python3 and the
# module just built) over it, which answers alice. Needs no terminal; every wait is bounded;
# stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
exec </dev/null

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
say() { echo; bold "## $*"; }

bash scripts/setup.sh

# Same build dir and flags as scripts/test.sh, so running one after the other rebuilds nothing.
build="${OCCHAT_BUILD_DIR:-$root/build}"
say "Building occhat into $build (first time: a few minutes)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCCHAT_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >"$build/demo-build.log" 2>&1 || {
  tail -30 "$build/demo-build.log" >&2
  echo "demo: build failed (full log: $build/demo-build.log)" >&2
  exit 1
}
server_bin="$build/server/occhat-server"
cli_bin="$build/cli/occhat"
for bin in "$server_bin" "$cli_bin"; do
  [ -x "$bin" ] || { echo "demo: $bin was not built" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/occhat-demo.XXXXXX")"
server_pid=""
watch_pid=""
bot_pid=""
cleanup() {
  local pid
  for pid in "$bot_pid" "$watch_pid" "$server_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts occhat-server on a free port with the demo's data dir and the extra options "$@"; sets
# server_pid and address. Its stderr is appended to $tmp/server.log.
start_server() {
  local line=""
  echo "\$ occhat-server --listen 127.0.0.1:0 --data-dir $tmp/data${*:+ $*}"
  "$server_bin" --listen 127.0.0.1:0 --data-dir "$tmp/data" "$@" >"$tmp/server.out" 2>>"$tmp/server.log" &
  server_pid=$!
  address=""
  for _ in $(seq 1 150); do
    line="$(head -n1 "$tmp/server.out" 2>/dev/null || true)"
    if [[ "$line" == "listening on "* ]]; then address="${line#listening on }"; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$address" ]; then
    echo "demo: the server did not start; its log:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  echo "$line"
}
# Stops the server with SIGTERM; prints its exit code and returns it.
stop_server() {
  local rc=0
  kill -TERM "$server_pid"
  wait "$server_pid" || rc=$?
  server_pid=""
  echo "occhat-server exited with code $rc"
  return "$rc"
}
# Waits up to $1 tenths of a second for the command "${@:2}" to succeed; returns 1 if it never did.
wait_until() {
  local tries="$1"
  shift
  for _ in $(seq 1 "$tries"); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

say "Starting occhat-server on 127.0.0.1:0 (a free port) with a fresh SQLite data dir"
start_server

# Each user is a separate --home (where the CLI keeps its session token) on the same server.
occhat_as() {
  local user="$1"; shift
  "$cli_bin" --server "$address" --home "$tmp/$user" "$@"
}
# Prints the command as a user would type it, then runs it.
run_as() {
  local user="$1"; shift
  echo "[$user] \$ occhat $*"
  occhat_as "$user" "$@"
}
echo "(every command below also gets --server $address --home $tmp/<user>)"

say "Register three accounts. The password comes from stdin here; on a terminal occhat prompts without echo."
echo "[alice] \$ echo '********' | occhat register --email alice@example.org --nick alice --password-stdin"
alice_id="$(echo 'alice-demo-password' | occhat_as alice register --email alice@example.org --nick alice --password-stdin)"
echo "$alice_id"
echo "[bob] \$ echo '********' | occhat --json register --email bob@example.org --nick bob --password-stdin"
bob_json="$(echo 'bob-demo-password' | occhat_as bob --json register --email bob@example.org --nick bob --password-stdin)"
echo "$bob_json"
bob_id="$(sed -E 's/.*"id":([0-9]+).*/\1/' <<<"$bob_json")"
echo "[carol] \$ echo '********' | occhat register --email carol@example.org --nick carol --password-stdin"
carol_id="$(echo 'carol-demo-password' | occhat_as carol register --email carol@example.org --nick carol --password-stdin)"
echo "$carol_id"
echo "alice got the random 6-digit id $alice_id, bob got $bob_id, carol got $carol_id."

say "Log them in: the server returns a session token, kept in <home>/session.json (mode 0600)"
echo "[alice] \$ echo '********' | occhat login $alice_id --password-stdin"
echo 'alice-demo-password' | occhat_as alice login "$alice_id" --password-stdin
echo "[bob] \$ echo '********' | occhat login $bob_id --password-stdin"
echo 'bob-demo-password' | occhat_as bob login "$bob_id" --password-stdin
echo "[carol] \$ echo '********' | occhat login $carol_id --password-stdin"
echo 'carol-demo-password' | occhat_as carol login "$carol_id" --password-stdin
echo "alice's session.json (mode $(stat -c '%a' "$tmp/alice/session.json"), token elided):"
sed -E 's/("token": *")[0-9a-f]+"/\1<64 hex chars>"/' "$tmp/alice/session.json"

say "whoami resumes the saved token on the server (no password needed)"
run_as alice whoami
run_as bob --json whoami

say "Find each other by id (the email is shown only to its owner)"
run_as alice find "$bob_id"
run_as bob find "$alice_id"
run_as alice --json find "$alice_id"

say "Friends: alice asks, bob sees the request and accepts it by adding her back"
run_as alice add "$bob_id"
run_as bob requests
run_as bob inbox
run_as bob add "$alice_id"
run_as alice --json add "$bob_id"
run_as alice inbox
echo "carol is nobody's friend: her message to alice is refused with exit code 5"
rc=0
run_as carol send "$alice_id" 'hi, remember me?' || rc=$?
echo "exit code: $rc"

say "bob runs 'occhat watch' in the background: he is online, and messages arrive live"
echo "[bob] \$ occhat watch &"
# The binary itself (not the occhat_as function, which would run in a subshell) goes to the
# background, so that $! is watch's own pid and the signal below reaches it.
"$cli_bin" --server "$address" --home "$tmp/bob" watch >"$tmp/bob-watch.out" 2>"$tmp/bob-watch.err" &
watch_pid=$!
# watch announces presence once connected; wait until alice's friend list shows bob online.
for _ in $(seq 1 100); do
  if occhat_as alice --json friends | grep -q '"online":true'; then break; fi
  sleep 0.1
done
run_as alice friends
run_as alice send "$bob_id" 'hi bob, lunch at noon?'
run_as alice --json send "$bob_id" 'the usual place'
for _ in $(seq 1 100); do
  if grep -q 'the usual place' "$tmp/bob-watch.out"; then break; fi
  sleep 0.1
done
sleep 0.5  # let watch acknowledge what it printed
kill -TERM "$watch_pid"
rc=0
wait "$watch_pid" || rc=$?
watch_pid=""
echo "What bob's watch printed (then SIGTERM, like Ctrl-C on a terminal; it exited with code $rc):"
sed 's/^/  /' "$tmp/bob-watch.out"
echo "Those are acknowledged, so bob's inbox is empty now:"
run_as bob inbox
echo "(no output: nothing pending)"

say "Offline delivery: bob logs out, alice writes, bob logs in later and reads his inbox"
run_as bob logout
run_as alice friends
run_as alice send "$bob_id" 'are you there?'
printf 'call me when you are back\nit is about the demo\n' >"$tmp/lines.txt"
echo "[alice] \$ printf 'call me when you are back\\nit is about the demo\\n' | occhat send $bob_id --stdin --client-id note-1"
occhat_as alice send "$bob_id" --stdin --client-id note-1 <"$tmp/lines.txt"
echo "The same input again (a retry after a lost answer) stores nothing new:"
echo "[alice] \$ printf ... | occhat --json send $bob_id --stdin --client-id note-1"
occhat_as alice --json send "$bob_id" --stdin --client-id note-1 <"$tmp/lines.txt"
echo "[bob] \$ echo '********' | occhat login $bob_id --password-stdin"
echo 'bob-demo-password' | occhat_as bob login "$bob_id" --password-stdin
run_as bob inbox
echo "A second inbox shows nothing: the first one acknowledged what it printed."
run_as bob inbox
echo "(no output: nothing pending)"
run_as bob send "$alice_id" 'back now, calling you'

say "History: the whole conversation, both directions, oldest first (it survives server restarts)"
run_as alice history "$bob_id"
run_as bob history "$alice_id" --limit 2
run_as bob --json history "$alice_id" --limit 1

say "Files: alice sends bob a 20 MiB file; bob's download is killed half way and resumed"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$tmp/holiday.bin"
echo "(a 20 MiB file of random bytes: $tmp/holiday.bin)"
# The upload hashes the file, then sends it in 1 MiB chunks; the server checks the SHA-256
# before it publishes the file and notifies bob.
echo "[alice] \$ occhat --json upload $bob_id $tmp/holiday.bin"
upload_json="$(occhat_as alice --json upload "$bob_id" "$tmp/holiday.bin")"
echo "$upload_json"
file_id="$(sed -E 's/.*"id":([0-9]+).*/\1/' <<<"$upload_json")"
run_as bob inbox
run_as bob files "$alice_id"
echo "carol is not a party to file $file_id: she cannot download it (exit code 5)"
rc=0
run_as carol download "$file_id" -o "$tmp/carol-copy" || rc=$?
echo "exit code: $rc"

mkdir -p "$tmp/downloads"
target="$tmp/downloads/holiday.bin"
echo "[bob] \$ occhat download $file_id -o $target   (killed with SIGKILL once half of it is on disk)"
# A small watcher starts the download and kills it as soon as PATH.part holds half the file
# (it polls without sleeping: over localhost the whole transfer takes well under a second).
/usr/bin/python3 - "$target.part" $((10 * 1024 * 1024)) "$cli_bin" --server "$address" --home "$tmp/bob" \
  download "$file_id" -o "$target" <<'PY'
import os, signal, subprocess, sys
part, half, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
while proc.poll() is None:
    try:
        size = os.stat(part).st_size
    except FileNotFoundError:
        size = 0
    if size >= half:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        print(f"killed the download with {size} bytes in {os.path.basename(part)}")
        sys.exit(0)
print("the download finished before it could be interrupted")
PY
echo "What the killed download left behind (the partial bytes and their validator):"
ls -l "$tmp/downloads" | sed 's/^/  /'
echo "  $(basename "$target").part.meta: $(cat "$target.part.meta" 2>/dev/null || echo '(none)')"
echo "--resume checks the validator against the server's file and fetches only the rest:"
run_as bob download "$file_id" -o "$target" --resume
echo "Both copies have the same SHA-256:"
(cd "$tmp" && sha256sum holiday.bin downloads/holiday.bin | sed 's/^/  /')
sum_a="$(sha256sum <"$tmp/holiday.bin")"
sum_b="$(sha256sum <"$target")"
if [ "$sum_a" = "$sum_b" ]; then echo "sha256 matches"; else echo "demo: sha256 MISMATCH" >&2; exit 1; fi
rm -f "$tmp/holiday.bin" "$target"

say "A wrong password: one line on stderr and exit code 3 (unknown ids get the very same answer)"
echo "[bob] \$ echo '********' | occhat login $alice_id --password-stdin"
rc=0
echo 'not-alices-password' | occhat_as bob login "$alice_id" --password-stdin || rc=$?
echo "exit code: $rc"
echo "[bob] \$ echo '********' | occhat --json login $alice_id --password-stdin"
rc=0
echo 'not-alices-password' | occhat_as bob --json login "$alice_id" --password-stdin || rc=$?
echo "exit code: $rc"
echo "(after --login-max-failures wrong passwords in a row from one address, default 5, that address must wait: exit code 6 with 'retry in N s'; alice logging in from elsewhere is not affected)"

say "Log out: the token is revoked on the server and session.json is deleted"
run_as alice logout
rc=0
run_as alice whoami || rc=$?
echo "exit code: $rc"
run_as bob logout
run_as carol logout

say "TLS: the server restarted on the same data with a certificate from a private CA"
echo "\$ scripts/make-certs.sh $tmp/certs   (a CA, and a certificate for localhost and 127.0.0.1)"
bash scripts/make-certs.sh "$tmp/certs" >/dev/null
ls "$tmp/certs" | sed 's/^/  /'
stop_server
start_server --tls-cert "$tmp/certs/server.pem" --tls-key "$tmp/certs/server.key"
echo "A plaintext client is refused (exit code 2):"
echo "[alice] \$ echo '********' | occhat login $alice_id --password-stdin"
rc=0
echo 'alice-demo-password' | occhat_as alice login "$alice_id" --password-stdin || rc=$?
echo "exit code: $rc"
echo "With --ca (the CA to trust; --tls alone trusts the system's CAs) the certificate verifies:"
echo "[alice] \$ echo '********' | occhat --ca $tmp/certs/ca.pem login $alice_id --password-stdin"
echo 'alice-demo-password' | occhat_as alice --ca "$tmp/certs/ca.pem" login "$alice_id" --password-stdin
echo "session.json remembers TLS and the CA for this server, so no more flags are needed:"
sed -E 's/("token": *")[0-9a-f]+"/\1<64 hex chars>"/' "$tmp/alice/session.json"
run_as alice history "$bob_id" --limit 2

say "A Python bot: bindings/python/examples/echo_bot.py, with Debian's /usr/bin/python3 and the module just built"
[ -f "$build/python/occhat/__init__.py" ] || { echo "demo: $build/python/occhat was not built" >&2; exit 1; }
echo "[echobot] \$ echo '********' | occhat --ca $tmp/certs/ca.pem register --email echobot@example.org --nick echobot --password-stdin"
bot_id="$(echo 'echobot-demo-password' | occhat_as echobot --ca "$tmp/certs/ca.pem" register --email echobot@example.org --nick echobot --password-stdin)"
echo "$bot_id"
echo "[echobot] \$ echo '********' | occhat --ca $tmp/certs/ca.pem login $bot_id --password-stdin"
echo 'echobot-demo-password' | occhat_as echobot --ca "$tmp/certs/ca.pem" login "$bot_id" --password-stdin
echo "[echobot] \$ PYTHONPATH=$build/python /usr/bin/python3 bindings/python/examples/echo_bot.py --server $address --home $tmp/echobot &"
echo "  (it uses echobot's session, TLS and CA included; it accepts friend requests and echoes messages)"
PYTHONPATH="$build/python" /usr/bin/python3 bindings/python/examples/echo_bot.py --server "$address" \
  --home "$tmp/echobot" >"$tmp/bot.out" 2>&1 &
bot_pid=$!
bot_failed() {
  echo "demo: $1; the bot's output:" >&2
  cat "$tmp/bot.out" >&2
  exit 1
}
wait_until 150 grep -q 'running as' "$tmp/bot.out" || bot_failed "the bot did not start within 15 s"
run_as alice add "$bot_id"
bot_is_friend() { [[ "$(occhat_as alice --json friends)" == *"\"id\":$bot_id,"* ]]; }
wait_until 100 bot_is_friend || bot_failed "the bot did not accept alice's request within 10 s"
echo "(the bot accepted: they are friends)"
run_as alice send "$bot_id" 'hello, bot!'
bot_answered() { [[ "$(occhat_as alice --json history "$bot_id")" == *"\"from\":$bot_id,"* ]]; }
wait_until 100 bot_answered || bot_failed "the bot did not answer within 10 s"
run_as alice history "$bot_id"
kill -TERM "$bot_pid"
rc=0
wait "$bot_pid" || rc=$?
bot_pid=""
echo "What the bot printed (then SIGTERM; it exited with code $rc):"
sed 's/^/  /' "$tmp/bot.out"
run_as alice logout

say "Not shown here"
echo "'occhat shell', the interactive client (it needs a terminal); the benchmarks"
echo "(scripts/bench.sh, see README \"Performance\"); file_bot.py and room_bot.py, the other Python examples."

say "Stopping the server with SIGTERM"
rc=0
stop_server || rc=$?
echo "Its log on stderr, both runs (never a password or token), without the per-connection"
echo "accepted/hello/closed lines:"
grep -vE ' conn [0-9]+ (accepted from|hello from|closed)' "$tmp/server.log" | sed 's/^/  /' || true
[ "$rc" -eq 0 ]
