#!/usr/bin/env bash
# Installs the Debian packages occhat needs to build, test and run its demo.
# Idempotent and non-interactive: when everything is present it only runs dpkg queries.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libasio-dev libcli11-dev libreadline-dev
  libsqlite3-dev sqlite3 libsodium-dev libssl-dev
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev
  pybind11-dev python3-pybind11 python3-dev python3-pytest python3-pexpect
  tmux
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq </dev/null >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
echo "setup: done" >&2
