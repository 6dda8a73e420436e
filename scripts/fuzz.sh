#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.cpp) with clang and runs each for SECONDS.
# Usage: scripts/fuzz.sh [SECONDS]   (default 60 per target)
# Each target runs on a scratch copy of its seed corpus, so the repo's corpus stays untouched.
# A crash exits non-zero and leaves the crashing input under build-fuzz/crashes/<target>/;
# copy it into tests/fuzz/corpus/<name>/ to keep it as a regression test.
# Exit codes: 0 no crash; 1 a target crashed or usage error; 3 fuzzing unavailable (no clang or
# its fuzzer runtime), which scripts/test.sh counts as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if [[ ! "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ] || [ $# -gt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds per fuzz target, default 60)" >&2
  exit 1
fi

cxx="${OCCHAT_FUZZ_CXX:-}"
if [ -z "$cxx" ]; then
  for candidate in clang++ clang++-16 clang++-15 clang++-14; do
    if command -v "$candidate" >/dev/null 2>&1; then cxx="$candidate"; break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "fuzz: unavailable: clang++ not found (install clang and libclang-rt-dev)" >&2
  exit 3
fi

# libFuzzer ships in clang's runtime package; probe it before a full build so the message is clear.
probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe_dir/p.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe_dir/p.cpp" -o "$probe_dir/p" >"$probe_dir/log" 2>&1; then
  echo "fuzz: unavailable: $cxx cannot link -fsanitize=fuzzer (install libclang-rt-dev):" >&2
  head -3 "$probe_dir/log" >&2
  exit 3
fi

build=build-fuzz
jobs="$(nproc 2>/dev/null || echo 2)"
[ "$jobs" -gt 2 ] && jobs=2
shopt -s nullglob
names=()
for source in tests/fuzz/fuzz_*.cpp; do names+=("$(basename "$source" .cpp)"); done
if [ ${#names[@]} -eq 0 ]; then
  echo "fuzz: no tests/fuzz/fuzz_*.cpp targets" >&2
  exit 1
fi
echo "fuzz: building ${names[*]} with $cxx into $build/"
mkdir -p "$build"
# -DOCCHAT_WERROR=ON: a developer/CI build, warnings are errors as in scripts/test.sh.
if ! cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DOCCHAT_FUZZ=ON -DOCCHAT_BUILD_TESTS=ON -DOCCHAT_WERROR=ON >"$build/configure.log" 2>&1; then
  tail -20 "$build/configure.log" >&2
  echo "fuzz: configure failed (log: $build/configure.log)" >&2
  exit 1
fi
# Only the fuzz targets: the rest of the tree is built (and warned about) by g++ in scripts/test.sh.
if ! cmake --build "$build" -j"$jobs" --target "${names[@]}" >"$build/build.log" 2>&1; then
  tail -30 "$build/build.log" >&2
  echo "fuzz: build failed (log: $build/build.log)" >&2
  exit 1
fi

targets=()
for name in "${names[@]}"; do
  if [ ! -x "$build/tests/fuzz/$name" ]; then
    echo "fuzz: $build/tests/fuzz/$name was not built" >&2
    exit 1
  fi
  targets+=("$build/tests/fuzz/$name")
done

status=0
for exe in "${targets[@]}"; do
  name="$(basename "$exe")"
  corpus_name="${name#fuzz_}"
  work="$build/corpus/$name"
  crashes="$build/crashes/$name"
  rm -rf "$work"
  mkdir -p "$work" "$crashes"
  if [ -d "tests/fuzz/corpus/$corpus_name" ]; then
    cp -R "tests/fuzz/corpus/$corpus_name/." "$work/"
  fi
  log="$build/$name.log"
  echo "fuzz: $name for ${seconds}s (corpus copy: $work)"
  rc=0
  "$exe" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$work" </dev/null >"$log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -E '==ERROR|SUMMARY|Test unit written' "$log" >&2 || tail -20 "$log" >&2
    echo "fuzz: $name CRASHED after ${execs:-?} executions (exit $rc); inputs kept in $crashes/, log $log" >&2
  else
    echo "fuzz: $name ok: ${execs:-?} executions (${speed:-?}/s), corpus $(ls "$work" | wc -l) inputs"
  fi
done
exit "$status"
