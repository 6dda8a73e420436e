#!/usr/bin/python3
"""Python event throughput: occhat.aio against the synchronous API, measured in the same run.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_events.py [--events 1000] [--runs 5]

Starts a real occhat-server (occhat.testing), makes a sender and a receiver, and per run leaves
EVENTS messages waiting for the receiver, which then handles them all (cursor advanced, server
acknowledged) four ways, in turn: `for event in client.events()`, `async for event in
occhat.aio.Client.events()`, occhat.Bot and occhat.aio.Bot (a handler per message). A figure is
the median over the runs of events / (subscription to the last event handled and acknowledged).
The server's data and the homes are on /dev/shm (see --tmp).
Prints one JSON line for bench/report.py ({"bench": "python", "case": "events", ...}).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from typing import Callable, Dict, List

import occhat
import occhat.aio
from occhat.testing import OcchatServer, User


def backlog(sender: User, receiver: User, n: int, run: int) -> None:
    for i in range(n):
        sender.client.send(receiver, f"r{run} m{i}")


def sync_iterator(receiver: User, n: int) -> float:
    client = occhat.Client(receiver.server.address, receiver.home)
    count = 0
    start = time.perf_counter()
    with client.events(timeout=10) as stream:
        for event in stream:
            if event.type == "message":
                count += 1
                if count == n:
                    break
    elapsed = time.perf_counter() - start
    client.close()
    assert count == n, count
    return elapsed


def aio_iterator(receiver: User, n: int) -> float:
    async def main() -> float:
        async with occhat.aio.Client(receiver.server.address, receiver.home) as client:
            count = 0
            start = time.perf_counter()
            async with client.events(timeout=10) as stream:
                async for event in stream:
                    if event.type == "message":
                        count += 1
                        if count == n:
                            break
            elapsed = time.perf_counter() - start
        assert count == n, count
        return elapsed
    return asyncio.run(main())


def sync_bot(receiver: User, n: int) -> float:
    bot = occhat.Bot(receiver.server.address, receiver.home)
    count = [0]

    @bot.on_message
    def handle(event: occhat.Event) -> None:
        count[0] += 1
        if count[0] == n:
            bot.stop()

    watchdog = threading.Timer(60, bot.stop)
    watchdog.start()
    start = time.perf_counter()
    bot.run()
    elapsed = time.perf_counter() - start
    watchdog.cancel()
    assert count[0] == n, count[0]
    return elapsed


def aio_bot(receiver: User, n: int) -> float:
    bot = occhat.aio.Bot(receiver.server.address, receiver.home)
    count = [0]

    @bot.on_message
    async def handle(event: occhat.Event) -> None:
        count[0] += 1
        if count[0] == n:
            bot.stop()

    watchdog = threading.Timer(60, bot.stop)
    watchdog.start()
    start = time.perf_counter()
    asyncio.run(bot.run())
    elapsed = time.perf_counter() - start
    watchdog.cancel()
    assert count[0] == n, count[0]
    return elapsed


WAYS: Dict[str, Callable[[User, int], float]] = {
    "sync_events_per_s": sync_iterator, "aio_events_per_s": aio_iterator,
    "sync_bot_events_per_s": sync_bot, "aio_bot_events_per_s": aio_bot}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tmp", default="/dev/shm" if os.access("/dev/shm", os.W_OK) else None,
                        help="where the server's data and the homes go (default: /dev/shm, a tmpfs)")
    args = parser.parse_args()
    # Each handled event renames the home's cursor file into place; on ext4 that rename flushes
    # the file (auto_da_alloc), about 1 ms on a shared disk, which would drown the difference
    # between the APIs in disk noise. On tmpfs the figures are the Python layers' own cost.
    tempfile.tempdir = args.tmp
    rates: Dict[str, List[float]] = {name: [] for name in WAYS}
    with OcchatServer() as server:
        sender, receiver = server.users("sender", "receiver")
        receiver.client.close()  # the ways below open their own connections
        for run in range(args.runs):
            for name, way in WAYS.items():
                backlog(sender, receiver, args.events, run)
                rates[name].append(args.events / way(receiver, args.events))
                print(f"run {run + 1}: {name} {rates[name][-1]:.0f}", file=sys.stderr, flush=True)
    metrics = {name: round(statistics.median(values), 1) for name, values in rates.items()}
    metrics["aio_over_sync"] = round(metrics["aio_events_per_s"] / metrics["sync_events_per_s"], 3)
    metrics["aio_bot_over_sync_bot"] = round(metrics["aio_bot_events_per_s"] / metrics["sync_bot_events_per_s"], 3)
    print(json.dumps({"bench": "python", "case": "events", "params": {"events": args.events, "runs": args.runs, "tmp": args.tmp},
                      "metrics": metrics}), flush=True)


if __name__ == "__main__":
    main()
