#!/usr/bin/env bash
# Builds occhat with warnings as errors and runs every test suite:
#   1. ctest      GoogleTest unit + integration suites and the fuzz corpus replayers
#   2. pytest     CLI end-to-end tests (tests/cli) against the real binaries
#   3. python     Python binding tests (tests/python) with the module from the build tree
#      examples   the example bots' tests (bindings/python/examples, with occhat.testing)
#      mypy       mypy --strict on bindings/python/examples/ (and the occhat package they import)
#   4. crash      scripts/crash-test.sh --kills 5 (SIGKILLed server under load: nothing lost), then
#                 --kills 3 --postgresql (the same on a throwaway PostgreSQL cluster of its own),
#                 then --kills 4 --cluster (random nodes of a 3-node cluster, scripts/cluster.sh,
#                 SIGKILLed while the clients fail over)
#   4b. package   tests/package: scripts/package.sh, dpkg -i, the packaged server run, dpkg -r/--purge
#   5. fuzz       a short libFuzzer smoke run (scripts/fuzz.sh) when clang++ is available
# Ends with one line over all suites: "N passed, N failed[, N skipped]". Exits non-zero if a
# build or any test failed. Needs no terminal and no stdin (CI runs it via .ci/run).
#
# --sanitize (= --sanitize=address) builds with -DOCCHAT_SANITIZE=address (ASan + UBSan) into
# ./build-asan and runs suites 1-3 against those binaries; --sanitize=thread builds with TSan into
# ./build-tsan and runs the SDK's tests (ctest -R 'Sdk|sdk') and the CLI suite, the front end of
# the SDK's threads. Every sanitizer report, from any process (the servers the tests start
# included), is written to <build>/sanitizer/ and fails the run. The fuzz smoke run is skipped
# (libFuzzer builds already use ASan + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

usage() {
  echo "usage: scripts/test.sh [--sanitize[=address|thread]]" >&2
  echo "  Builds into ./build and runs the unit, integration, CLI, Python and fuzz-smoke suites." >&2
  echo "  --sanitize, --sanitize=address  ASan + UBSan build in ./build-asan; runs ctest, the CLI" >&2
  echo "                                  and the Python suites; any sanitizer report fails" >&2
  echo "  --sanitize=thread               TSan build in ./build-tsan; SDK-focused: runs the SDK" >&2
  echo "                                  tests (ctest -R 'Sdk|sdk') and the CLI suite" >&2
}
sanitize=""
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --sanitize|--sanitize=address) sanitize=address ;;
    --sanitize=thread) sanitize=thread ;;
    *) echo "test.sh: unknown option: $arg" >&2; usage; exit 1 ;;
  esac
done
exec </dev/null

case "$sanitize" in
  address) build="${OCCHAT_BUILD_DIR:-$root/build-asan}" ;;
  thread) build="${OCCHAT_BUILD_DIR:-$root/build-tsan}" ;;
  *) build="${OCCHAT_BUILD_DIR:-$root/build}" ;;
esac
jobs="$(nproc 2>/dev/null || echo 2)"
# Per fuzz target: two targets make the 60-second smoke run.
fuzz_seconds="${OCCHAT_FUZZ_SECONDS:-30}"
passed=0
failed=0
skipped=0
report=()

note() { report+=("$1"); echo "== $1"; }

# Runs one pytest suite and adds its counts to the totals: NAME DIR LOG [VAR=VALUE...] (extra
# environment for pytest). Exit 5 (nothing collected) and a time-out count as failures.
run_pytest_suite() {
  local name="$1" dir="$2" log="$3" rc=0 line p f s e
  shift 3
  env "$@" OCCHAT_BUILD_DIR="$build" timeout --kill-after=10 900 \
    /usr/bin/python3 -m pytest "$dir" -q -p no:cacheprovider 2>&1 | tee "$log" || rc=$?
  if [ "$rc" -eq 5 ]; then
    failed=$((failed + 1))
    note "$name: FAILED (no tests were collected)"
    return
  fi
  # The -q summary line, e.g. "12 passed, 1 failed, 2 skipped, 1 error in 3.4s".
  line="$(grep -E '^=*[ ]*[0-9]+ (passed|failed|skipped|error|errors|deselected|xfailed|xpassed)' "$log" | tail -1 || true)"
  count() { grep -oE "[0-9]+ $1" <<<"$line" | head -1 | cut -d' ' -f1 || true; }
  p="$(count passed)"; f="$(count failed)"; s="$(count skipped)"; e="$(count 'errors?')"
  p=${p:-0}; f=${f:-0}; s=${s:-0}; e=${e:-0}
  f=$((f + e))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    note "$name: TIMED OUT; $p passed, $f failed, $s skipped"
  else
    note "$name: $p passed, $f failed, $s skipped"
  fi
}

bash scripts/setup.sh

# ---- sanitizer run-time options (--sanitize only) -----------------------------------------
# Every instrumented process (test binaries, the servers and CLIs the tests start) inherits these.
# Reports go to files under $sanitizer_logs (log_path appends .PID), not to stderr: the servers'
# stderr ends in temp files the tests delete, and their exit status is not always checked, so the
# files are the one place no report can hide. Each report file counts as a failure below.
# halt_on_error/abort_on_error: the first report ends the process (and so fails its test).
# LeakSanitizer works in this container (ptrace is allowed), so leaks are checked at every exit,
# except in the Python suite (see there).
sanitizer_logs="$build/sanitizer"
configure_extra=()
build_targets=()
ctest_filter=()
if [ "$sanitize" = address ]; then
  configure_extra=(-DOCCHAT_SANITIZE=address)
  # quarantine_size_mb=16 (default 256): freed memory waits in the quarantine (to catch a use
  # after free) and counts as RSS; the tests that bound the server's memory need it small.
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:check_initialization_order=1:quarantine_size_mb=16:log_path=$sanitizer_logs/asan"
  export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$sanitizer_logs/ubsan"
elif [ "$sanitize" = thread ]; then
  configure_extra=(-DOCCHAT_SANITIZE=thread)
  # Only what the SDK-focused run needs (the SDK tests, the server they start, the CLI).
  build_targets=(--target occhat_sdk_tests occhat-server occhat)
  # The *.postgresql variants are left out: this run keeps to the SDK's own threads.
  ctest_filter=(-R 'Sdk|sdk' -E 'postgresql$')
  export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:log_path=$sanitizer_logs/tsan"
fi
if [ -n "$sanitize" ]; then
  # Tests whose memory bounds do not hold for instrumented binaries read this
  # (tests/cli/test_files_big.py measures the growth instead of the absolute RSS).
  export OCCHAT_SANITIZE="$sanitize"
  rm -rf "$sanitizer_logs"
  mkdir -p "$sanitizer_logs"
fi

# ---- build --------------------------------------------------------------------------------
build_ok=1
echo "== configure and build ($build, -j$jobs${sanitize:+, sanitize=$sanitize})"
if ! cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCCHAT_WERROR=ON ${configure_extra[@]+"${configure_extra[@]}"}; then
  build_ok=0
elif ! cmake --build "$build" -j"$jobs" ${build_targets[@]+"${build_targets[@]}"}; then
  build_ok=0
fi

if [ "$build_ok" -eq 0 ]; then
  failed=$((failed + 1))
  note "build: FAILED (the test suites were not run)"
else
  # ---- a throwaway PostgreSQL cluster for the tests on PostgreSQL ---------------------------
  # The store contract tests (tests/unit/store_backends.hpp), the ctest *.postgresql variants
  # (a schema per server, tests/support/test_store.hpp) and tests/cli/test_postgresql.py (a
  # database per test) use it; OCCHAT_TEST_PG_URI from the caller names an existing cluster
  # instead. Without one the PostgreSQL cases would only be skipped, so a cluster that does not
  # start is a failure.
  if [ -z "${OCCHAT_TEST_PG_URI:-}" ]; then
    pg_dir="$(mktemp -d /tmp/occhat-pg-XXXXXX)"
    trap 'scripts/pg-cluster.sh stop "$pg_dir"' EXIT
    pg_started=${EPOCHREALTIME/./}
    if OCCHAT_TEST_PG_URI="$(scripts/pg-cluster.sh start --no-fsync "$pg_dir")"; then
      export OCCHAT_TEST_PG_URI
      note "postgresql: throwaway cluster $OCCHAT_TEST_PG_URI started in $(( (${EPOCHREALTIME/./} - pg_started) / 1000 )) ms"
    else
      unset OCCHAT_TEST_PG_URI
      failed=$((failed + 1))
      note "postgresql: FAILED to start a throwaway cluster (the PostgreSQL store tests are skipped)"
    fi
  fi
  note "stores: both: the store contract tests (ctest Backends/*), RawSendOrder/RawRooms and SdkMessaging/SdkSync (ctest *.postgresql), the crash test, tests/cli/test_export_import.py (SQLite -> PostgreSQL -> served); PostgreSQL only: tests/cli/test_postgresql.py, tests/cli/test_cluster.py (3 nodes over NATS); SQLite only: every other ctest, CLI, Python and package test"

  # ---- ctest: unit, integration, fuzz corpus replay ---------------------------------------
  log="$build/ctest.log"
  rc=0
  ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 ${ctest_filter[@]+"${ctest_filter[@]}"} 2>&1 | tee "$log" || rc=$?
  line="$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)"
  if [ -n "$line" ]; then
    f="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
    total="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
    p=$((total - f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$total" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    note "ctest: $p passed, $f failed"
  else
    failed=$((failed + 1))
    note "ctest: FAILED (exit $rc; no tests found or ctest did not finish)"
  fi

  # ---- pytest: CLI end to end, then the Python bindings (package from $build/python) --------
  run_pytest_suite pytest tests/cli "$build/pytest.log"
  if [ -z "$sanitize" ]; then
    run_pytest_suite python tests/python "$build/pytest-python.log" \
      PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}"
    run_pytest_suite examples bindings/python/examples "$build/pytest-examples.log" \
      PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}"
    # The package is found through MYPYPATH, so its own errors are reported too.
    rc=0
    MYPYPATH="$build/python" timeout 600 mypy --strict --cache-dir "$build/mypy-cache" bindings/python/examples/ \
      2>&1 | tee "$build/mypy.log" || rc=$?
    if [ "$rc" -eq 0 ]; then
      passed=$((passed + 1)); note "mypy: passed (--strict on bindings/python/examples/ and the occhat package)"
    else
      failed=$((failed + 1)); note "mypy: FAILED (exit $rc; see $build/mypy.log)"
    fi
  elif [ "$sanitize" = address ]; then
    # /usr/bin/python3 is not instrumented, so the ASan runtime must be loaded first
    # (LD_PRELOAD) for it to import the instrumented module; libstdc++ too, or ASan's
    # __cxa_throw interceptor finds no real __cxa_throw and the first C++ exception aborts
    # ("CHECK failed: asan_interceptors.cpp ... real___cxa_throw"). Leak checking is off for this
    # suite: the interpreter keeps its heap alive at exit by design, which LeakSanitizer would
    # report as leaks; every other ASan/UBSan check stays on (the servers this suite starts
    # inherit the same options; their leaks are checked by the other suites).
    run_pytest_suite python tests/python "$build/pytest-python.log" \
      PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}" \
      LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libstdc++.so)" \
      ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}"
  else
    skipped=$((skipped + 1))
    note "python: skipped (--sanitize=thread is SDK-focused; the bindings run under --sanitize)"
  fi
fi

# ---- sanitizer reports from any process ----------------------------------------------------
if [ -n "$sanitize" ]; then
  shopt -s nullglob
  reports=("$sanitizer_logs"/*)
  shopt -u nullglob
  if [ ${#reports[@]} -eq 0 ]; then
    note "sanitizer ($sanitize): no reports"
  else
    for f in "${reports[@]}"; do
      echo "---- $f"
      head -60 "$f"
    done
    failed=$((failed + ${#reports[@]}))
    note "sanitizer ($sanitize): ${#reports[@]} report(s) in $sanitizer_logs/ (each counted as a failure)"
  fi
fi

# ---- crash consistency: the server SIGKILLed 5 times under load, nothing acknowledged lost ---
if [ "$build_ok" -eq 1 ] && [ -z "$sanitize" ]; then
  if OCCHAT_BUILD_DIR="$build" timeout --kill-after=10 180 bash scripts/crash-test.sh --kills 5; then
    passed=$((passed + 1)); note "crash-test: passed (5 kills, 0 lost, 0 duplicated)"
  else
    failed=$((failed + 1)); note "crash-test: FAILED (see its output above)"
  fi
  if OCCHAT_BUILD_DIR="$build" timeout --kill-after=10 120 bash scripts/crash-test.sh --kills 3 --postgresql; then
    passed=$((passed + 1)); note "crash-test postgresql: passed (3 kills, 0 lost, 0 duplicated)"
  else
    failed=$((failed + 1)); note "crash-test postgresql: FAILED (see its output above)"
  fi
  if OCCHAT_BUILD_DIR="$build" timeout --kill-after=10 150 bash scripts/crash-test.sh --kills 4 --cluster; then
    passed=$((passed + 1)); note "crash-test cluster: passed (3 nodes, 4 node kills, 0 lost, 0 duplicated)"
  else
    failed=$((failed + 1)); note "crash-test cluster: FAILED (see its output above)"
  fi
fi

# ---- the Debian package: built, installed with dpkg, run, removed (root only; see the test) ---
if [ "$build_ok" -eq 1 ] && [ -z "$sanitize" ]; then
  run_pytest_suite package tests/package "$build/pytest-package.log"
fi

# ---- fuzz smoke ---------------------------------------------------------------------------
if [ -n "$sanitize" ]; then
  skipped=$((skipped + 1))
  note "fuzz: skipped under --sanitize (scripts/fuzz.sh builds with ASan + UBSan already)"
elif ! command -v clang++ >/dev/null 2>&1; then
  skipped=$((skipped + 1))
  note "fuzz: skipped (clang++ not installed)"
else
  rc=0
  bash scripts/fuzz.sh "$fuzz_seconds" || rc=$?
  case "$rc" in
    0) passed=$((passed + 1)); note "fuzz: passed (${fuzz_seconds}s per target, no crash)" ;;
    3) skipped=$((skipped + 1)); note "fuzz: skipped (libFuzzer unavailable)" ;;
    *) failed=$((failed + 1)); note "fuzz: FAILED (exit $rc; crashers under build-fuzz/crashes/)" ;;
  esac
fi

echo
echo "== summary"
for line in "${report[@]}"; do echo "   $line"; done
summary="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then summary="$summary, $skipped skipped"; fi
echo "$summary"
[ "$failed" -eq 0 ]
