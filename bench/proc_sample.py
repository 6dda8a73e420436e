#!/usr/bin/python3
"""Runs one load client of scripts/bench.sh and adds, from /proc and from outside the client, what
holds still on a shared machine (issue 15) to each JSON result line it prints:

  metrics.server_cpu_s            utime+stime the server spent during the client's run
  metrics.server_cpu_us_per_msg   that divided by the messages relayed in the run
                                  (metrics.relayed_total, else metrics.received)
                                  A line that has server_cpu_us_per_msg already (occhat-bench relay:
                                  its server over the measured window, from /proc at its start and
                                  end) keeps it and gets server_cpu_life_s (ours) beside it.
  metrics.client_cpu_s            the client's own CPU (wait4 rusage; without its server child)
  metrics.other_cpu_cores         CPU busy on the machine minus server and client, per second of
                                  the run: the other processes' share (1.0 = one core)
  metrics.load1_at_start          /proc/loadavg when the run started

  bench/proc_sample.py --server-pid PID -- CLIENT ARGS...     a server already running (peers)
  bench/proc_sample.py --server-child NAME -- CLIENT ARGS...  servers the client starts itself
                                                              (occhat-bench starts occhat-server)
The client's stdout is passed through with the lines amended, its stderr untouched; the exit
status is the client's. A warning goes to stderr when other processes used more than
--busy-warn cores (default 0.25).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    with open("/proc/stat", encoding="ascii") as f:
        parts = f.readline().split()[1:]
    v = [int(x) for x in parts]
    # user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / TICK


def proc_cpu_s(pid):
    """utime+stime of one process (all its threads), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def children_named(parent, name):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        if ppid == parent and comm == name[:15]:
            found.append(int(entry))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--server-pid", type=int)
    who.add_argument("--server-child", metavar="NAME")
    ap.add_argument("--busy-warn", type=float, default=0.25)
    ap.add_argument("--interval", type=float, default=0.02, help="sampling period, seconds")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no client command")

    with open("/proc/loadavg", encoding="ascii") as f:
        load1 = float(f.read().split()[0])
    busy0 = machine_busy_s()
    server0 = proc_cpu_s(args.server_pid) if args.server_pid else None
    t0 = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)
    reader.start()

    # Servers the client starts: the last utime+stime seen of each (sampled until it is gone).
    seen = {}
    last_scan = 0.0
    while True:
        pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            break
        if args.server_child:
            now = time.monotonic()
            if now - last_scan > 0.2 or not any(proc_cpu_s(p) is not None for p in seen):
                for p in children_named(child.pid, args.server_child):
                    seen.setdefault(p, 0.0)
                last_scan = now
            for p in list(seen):
                v = proc_cpu_s(p)
                if v is not None:
                    seen[p] = v
        time.sleep(args.interval)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    busy = machine_busy_s() - busy0
    reader.join(timeout=5)

    client_total = rusage.ru_utime + rusage.ru_stime  # includes children it reaped (its servers)
    if args.server_pid:
        end = proc_cpu_s(args.server_pid)
        server = None if server0 is None or end is None else end - server0
        other = busy - client_total - (server or 0.0)
        client = client_total
    else:
        server = sum(seen.values()) if seen else None
        other = busy - client_total
        client = client_total - (server or 0.0)
    other_cores = max(0.0, other / wall) if wall > 0 else 0.0

    for line in lines:
        line = line.rstrip("\n")
        try:
            rec = json.loads(line) if line.startswith("{") else None
        except ValueError:
            rec = None
        if not isinstance(rec, dict) or "metrics" not in rec:
            print(line)
            continue
        m = rec["metrics"]
        msgs = m.get("relayed_total", m.get("received"))
        if server is not None and "server_cpu_us_per_msg" in m:
            # The client measured its server over its own measured window (occhat-bench relay reads
            # /proc at the window's start and end): that figure stays; ours, over the server's
            # whole life (start, logins, warm-up and stop included), goes beside it.
            m["server_cpu_life_s"] = round(server, 3)
        elif server is not None:
            m["server_cpu_s"] = round(server, 3)
            if isinstance(msgs, (int, float)) and msgs > 0:
                m["server_cpu_us_per_msg"] = round(server * 1e6 / msgs, 2)
        m["client_cpu_s"] = round(max(client, 0.0), 3)
        m["other_cpu_cores"] = round(other_cores, 2)
        m["load1_at_start"] = load1
        print(json.dumps(rec))
    sys.stdout.flush()
    if other_cores > args.busy_warn:
        print(f"bench: WARNING: other processes used {other_cores:.2f} cores during `{os.path.basename(cmd[0])} "
              f"{' '.join(cmd[1:4])}...` (load {load1:.2f} at start): its figures are noisy", file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
