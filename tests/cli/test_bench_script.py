"""scripts/bench.sh when occhat cannot be built: it must say so, exit non-zero and leave
bench/RESULTS.md byte for byte as it was (a run that measured only the peers once overwrote it
with a table of "n/a").

The script runs from a copy of itself (and of bench/) in a temp dir, with OCCHAT_BENCH_CMAKE
pointing at a stand-in cmake that fails the way a broken tree would; nothing is compiled and
no peer is started, so this takes well under a second per case.
"""

import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

# The stand-in cmake: configure (`-S . -B dir ...`) and build (`--build dir ...`) as each case says.
FAKE_CMAKE = """#!/bin/sh
if [ "$1" = --build ]; then
  echo "fake cmake: build $*"
  {build}
else
  echo "fake cmake: configure $*"
  {configure}
fi
"""

CASES = {
    # A tree that does not configure (e.g. a broken CMakeLists.txt).
    "configure-fails": ("echo 'CMake Error at CMakeLists.txt:1: simulated' >&2; exit 1", "exit 0",
                        "configuring occhat failed"),
    # A compile error in our code.
    "build-fails": ("exit 0", "echo 'main.cpp:1:1: error: simulated' >&2; exit 2",
                    "building occhat failed"),
    # The build reports success but occhat-bench is not there (the old bench.sh then measured
    # only the peers).
    "no-bench-binary": ("exit 0", "exit 0", "left no"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bench_without_occhat_fails_and_keeps_results(tmp_path, case):
    configure, build, message = CASES[case]
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "bench.sh", tree / "scripts" / "bench.sh")
    shutil.copytree(REPO / "bench", tree / "bench", ignore=shutil.ignore_patterns("src", "peers"))
    before = (tree / "bench" / "RESULTS.md").read_bytes()
    fake = tmp_path / "fake-cmake"
    fake.write_text(FAKE_CMAKE.format(configure=configure, build=build))
    fake.chmod(0o755)
    env = dict(os.environ, OCCHAT_BENCH_CMAKE=str(fake), OCCHAT_BENCH_BUILD_DIR=str(tmp_path / "build"))
    proc = subprocess.run(["bash", str(tree / "scripts" / "bench.sh"), "--quick", "--write-results", "--no-install"],
                          cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr
    assert "occhat not measured" in proc.stderr
    assert "bench/RESULTS.md is unchanged" in proc.stderr
    # It stopped before any peer ran and wrote nothing.
    assert "mosquitto" not in proc.stderr and "iperf3" not in proc.stderr
    assert (tree / "bench" / "RESULTS.md").read_bytes() == before
    assert sorted(p.name for p in (tree / "bench").iterdir()) == sorted(
        p.name for p in (REPO / "bench").iterdir() if p.name not in ("src", "peers"))


@pytest.mark.parametrize("runs", ["0", "x", "100"])
def test_bench_refuses_a_bad_runs_count(tmp_path, runs):
    proc = subprocess.run(["bash", str(REPO / "scripts" / "bench.sh"), "--runs", runs, "--no-install"],
                          cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, OCCHAT_BENCH_BUILD_DIR=str(tmp_path / "build")))
    assert proc.returncode == 1
    assert "--runs needs a number 1..99" in proc.stderr
    assert not (tmp_path / "build").exists()  # refused before building or measuring anything
