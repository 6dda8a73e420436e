#!/usr/bin/python3
"""The disk's own limit for one durable message at a time (issue 15): appends 4 KiB to a file in
DIR and fdatasyncs it, COUNT times, and prints one JSON line (bench "disk", case "fdatasync") with
the p50/p99/max latency and 1/p50 as the ceiling of one-fsync-per-message relay.

  bench/fsync_latency.py DIR [--count 2000]
DIR must be on the filesystem the servers' data dirs are on (scripts/bench.sh passes its work dir).
"""
import argparse
import json
import os
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description="fdatasync latency of 4 KiB appends")
    ap.add_argument("dir")
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    if args.count < 10:
        ap.error("--count must be at least 10")
    block = os.urandom(4096)
    fd, path = tempfile.mkstemp(prefix="fsync-", dir=args.dir)
    try:
        samples = []
        for _ in range(args.count):
            os.write(fd, block)
            t = time.perf_counter_ns()
            os.fdatasync(fd)
            samples.append(time.perf_counter_ns() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()
    pct = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))] / 1000
    p50 = pct(0.50)
    print(json.dumps({"bench": "disk", "case": "fdatasync",
                      "params": {"count": args.count, "block_bytes": 4096},
                      "metrics": {"p50_us": round(p50, 1), "p99_us": round(pct(0.99), 1),
                                  "max_us": round(samples[-1] / 1000, 1),
                                  "limit_msgs_per_s": round(1e6 / p50, 1) if p50 > 0 else None}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
