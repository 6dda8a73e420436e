#!/usr/bin/env bash
# Installs the Debian packages occhat needs to build, test and run its demo.
#   scripts/setup.sh         what build, tests and demo need (scripts/test.sh calls this)
#   scripts/setup.sh bench   additionally the benchmark peers of scripts/bench.sh: mosquitto +
#                            libmosquitto-dev, nginx, curl, iperf3, the XMPP servers ejabberd and
#                            prosody + libstrophe-dev (their load client), linux-perf if available
# Idempotent and non-interactive: when everything is present it only runs dpkg queries.
set -euo pipefail

group="${1:-}"
case "$group" in
  ""|bench) ;;
  *) echo "usage: scripts/setup.sh [bench]" >&2; exit 1 ;;
esac

packages=(
  build-essential cmake pkg-config ccache
  libasio-dev libcli11-dev libreadline-dev
  libsqlite3-dev sqlite3 libsodium-dev libssl-dev
  libpq-dev postgresql
  nats-server libnats-dev
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev
  pybind11-dev python3-pybind11 python3-dev python3-pytest python3-pexpect mypy
  tmux
  help2man dpkg-dev libcpp-httplib-dev adduser man-db
)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
  if [ "$updated" -eq 0 ]; then
    $sudo apt-get update -qq </dev/null >/dev/null
    updated=1
  fi
}

# The benchmark peers. Any installed nginx flavour will do; otherwise nginx-light (the smallest
# one with sendfile) where the archive has it. linux-perf is optional: only for profiling.
optional=()
if [ "$group" = bench ]; then
  packages+=(mosquitto libmosquitto-dev curl iperf3 ejabberd prosody libstrophe-dev)
  if ! installed nginx-light && ! installed nginx && ! installed nginx-core \
     && ! installed nginx-full && ! installed nginx-extras; then
    apt_update
    if apt-cache show nginx-light >/dev/null 2>&1; then packages+=(nginx-light); else packages+=(nginx); fi
  fi
  installed linux-perf || optional+=(linux-perf)
fi

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ]; then
  exit 0
fi

# mosquitto, nginx, iperf3, ejabberd and prosody ship services that their postinst would start. bench.sh starts its
# own instances on free ports, and CI (root, a container without systemd) must not get daemons:
# a policy-rc.d that denies every start, present only while apt runs (an existing one is kept).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ "$group" = bench ] && [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from occhat scripts/setup.sh: no service starts during install\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
  trap '$sudo rm -f "$policy"' EXIT
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt_update
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
if [ ${#optional[@]} -gt 0 ]; then
  apt_update
  if apt-cache show "${optional[@]}" >/dev/null 2>&1 \
     && $sudo apt-get install -y -qq --no-install-recommends "${optional[@]}" </dev/null >/dev/null 2>&1; then
    echo "setup: installed ${optional[*]}" >&2
  else
    echo "setup: optional ${optional[*]} not installed (only needed for profiling)" >&2
  fi
fi
if [ "$own_policy" -eq 1 ]; then $sudo rm -f "$policy"; trap - EXIT; fi
echo "setup: done" >&2
