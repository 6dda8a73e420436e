#!/usr/bin/env bash
# Builds occhat with warnings as errors and runs every test suite:
#   1. ctest      GoogleTest unit + integration suites and the fuzz corpus replayers
#   2. pytest     CLI end-to-end tests (tests/cli) against the real binaries
#   3. python     Python binding tests (tests/python) with the module from the build tree
#   4. fuzz       a short libFuzzer smoke run (scripts/fuzz.sh) when clang++ is available
# Ends with one line over all suites: "N passed, N failed[, N skipped]". Exits non-zero if a
# build or any test failed. Needs no terminal and no stdin (CI runs it via .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

usage() {
  echo "usage: scripts/test.sh" >&2
  echo "  Builds into ./build and runs the unit, integration, CLI and fuzz-smoke suites." >&2
}
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown option: $arg" >&2; usage; exit 1 ;;
  esac
done
exec </dev/null

build="${OCCHAT_BUILD_DIR:-$root/build}"
jobs="$(nproc 2>/dev/null || echo 2)"
fuzz_seconds="${OCCHAT_FUZZ_SECONDS:-20}"
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

# ---- build --------------------------------------------------------------------------------
build_ok=1
echo "== configure and build ($build, -j$jobs)"
if ! cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCCHAT_WERROR=ON; then
  build_ok=0
elif ! cmake --build "$build" -j"$jobs"; then
  build_ok=0
fi

if [ "$build_ok" -eq 0 ]; then
  failed=$((failed + 1))
  note "build: FAILED (the test suites were not run)"
else
  # ---- ctest: unit, integration, fuzz corpus replay ---------------------------------------
  log="$build/ctest.log"
  rc=0
  ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 2>&1 | tee "$log" || rc=$?
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
  run_pytest_suite python tests/python "$build/pytest-python.log" \
    PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}"
fi

# ---- fuzz smoke ---------------------------------------------------------------------------
if ! command -v clang++ >/dev/null 2>&1; then
  skipped=$((skipped + 1))
  note "fuzz: skipped (clang++ not installed)"
else
  rc=0
  bash scripts/fuzz.sh "$fuzz_seconds" || rc=$?
  case "$rc" in
    0) passed=$((passed + 1)); note "fuzz: passed (${fuzz_seconds}s per target)" ;;
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
