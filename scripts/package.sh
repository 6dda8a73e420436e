#!/usr/bin/env bash
# Builds the Debian package occhat_<version>_amd64.deb from this tree (CPack's DEB generator;
# the rules are in packaging/CMakeLists.txt) and prints its path on the last line.
#   scripts/package.sh            builds into ./build (as scripts/test.sh does) and packs it
# OCCHAT_BUILD_DIR overrides ./build. Installs missing build dependencies first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${OCCHAT_BUILD_DIR:-$PWD/build}"
if [ $# -gt 0 ]; then
  echo "usage: scripts/package.sh" >&2
  exit 1
fi
scripts/setup.sh >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >&2
(cd "$build" && cpack -G DEB >&2)
deb="$(ls -t "$build"/occhat_*_amd64.deb | head -1)"
echo "$deb"
