#!/usr/bin/python3
"""The disk's own limit for one durable message at a time (issue 15): writes 4 KiB and
fdatasyncs it, COUNT times in each of two ways, and prints one JSON line (bench "disk", case
"fdatasync"):
  - overwrite: 4 KiB blocks rewritten in a preallocated 8 MiB file, as SQLite's WAL is once it has
    been reset (no file-size change, so no metadata to journal): p50_us, p99_us, max_us and
    limit_msgs_per_s = 1/p50, the ceiling of one-fsync-per-message relay;
  - append: each write extends the file (a metadata commit too): append_p50_us, append_p99_us.

  bench/fsync_latency.py DIR [--count 1000]
DIR must be on the filesystem the servers' data dirs are on (scripts/bench.sh passes its work dir).
"""
import argparse
import json
import os
import sys
import tempfile
import time

BLOCK = 4096
PREALLOCATED = 8 << 20


def timed_syncs(fd, count, offset_of):
    block = os.urandom(BLOCK)
    samples = []
    for i in range(count):
        os.pwrite(fd, block, offset_of(i))
        t = time.perf_counter_ns()
        os.fdatasync(fd)
        samples.append(time.perf_counter_ns() - t)
    samples.sort()
    return samples


def pct_us(samples, p):
    return round(samples[min(len(samples) - 1, int(p * len(samples)))] / 1000, 1)


def main():
    ap = argparse.ArgumentParser(description="fdatasync latency of 4 KiB writes")
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    if args.count < 10:
        ap.error("--count must be at least 10")
    fd, path = tempfile.mkstemp(prefix="fsync-", dir=args.dir)
    try:
        appended = timed_syncs(fd, args.count, lambda i: i * BLOCK)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"\0" * PREALLOCATED, 0)
        os.fsync(fd)
        overwritten = timed_syncs(fd, args.count, lambda i: (i * BLOCK) % PREALLOCATED)
    finally:
        os.close(fd)
        os.unlink(path)
    p50 = pct_us(overwritten, 0.50)
    print(json.dumps({"bench": "disk", "case": "fdatasync",
                      "params": {"count": args.count, "block_bytes": BLOCK},
                      "metrics": {"p50_us": p50, "p99_us": pct_us(overwritten, 0.99),
                                  "max_us": round(overwritten[-1] / 1000, 1),
                                  "limit_msgs_per_s": round(1e6 / p50, 1) if p50 > 0 else None,
                                  "append_p50_us": pct_us(appended, 0.50),
                                  "append_p99_us": pct_us(appended, 0.99)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
