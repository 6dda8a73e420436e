"""Bots against a real server, driven by the real CLI."""

import hashlib
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import EXAMPLES, PASSWORD, wait_for

import occhat

HERE = os.path.dirname(os.path.abspath(__file__))


def history(env, me, peer):
    _, out, _ = env.cli(me[1], "--json", "history", peer[0], "--limit", 500)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def replies_from(env, me, bot):
    return [m["text"] for m in history(env, me, bot) if m["from"] == bot[0]]


def send_lines(env, sender, to, lines):
    env.cli(sender[1], "send", to[0], "--stdin", stdin="".join(line + "\n" for line in lines), timeout=120)


def stop_with_sigint(proc, within=2.0):
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("bot did not stop within 10 s of SIGINT")
    return rc, time.monotonic() - start


def wait_online(env, me, bot):
    def online():
        _, out, _ = env.cli(me[1], "--json", "friends")
        return any(json.loads(l)["id"] == bot[0] and json.loads(l)["online"] for l in out.splitlines() if l.strip())
    wait_for(online, 20, "the bot to come online", interval=0.2)


def test_echo_bot_answers_a_message_sent_with_the_cli(env):
    alice, bot = env.user("alice"), env.user("bot")
    env.befriend(alice, bot)
    proc = env.start_python(EXAMPLES / "echo_bot.py", "--server", env.server.address, "--home", bot[1])
    env.cli(alice[1], "send", bot[0], "hello bot")
    wait_for(lambda: "hello bot" in replies_from(env, alice, bot), 20, lambda: f"the echo; log: {env.log()}", 0.2)
    rc, took = stop_with_sigint(proc)
    assert rc == 0, env.log()


def test_sigint_stops_bot_run_within_2s_with_exit_code_0(env):
    alice, bot = env.user("alice"), env.user("bot")
    env.befriend(alice, bot)
    proc = env.start_python(EXAMPLES / "echo_bot.py", "--server", env.server.address, "--home", bot[1])
    wait_online(env, alice, bot)
    time.sleep(0.3)  # well inside run()'s wait for events
    rc, took = stop_with_sigint(proc)
    assert rc == 0, env.log()
    assert took < 2.0, took
    assert "Traceback" not in env.log(), env.log()


def test_1000_offline_messages_arrive_exactly_once_in_order(env):
    alice, bot_user = env.user("alice"), env.user("bot")
    env.befriend(alice, bot_user)
    texts = [f"m{i}" for i in range(1, 1001)]
    send_lines(env, alice, bot_user, texts)

    bot = occhat.Bot(env.server.address, bot_user[1])
    got = []

    @bot.on_message
    def collect(event):
        assert event.sender.id == alice[0]
        got.append(event.text)
        if len(got) == len(texts):
            bot.stop()

    deadline = time.monotonic() + 60
    import threading
    watchdog = threading.Timer(60, bot.stop)
    watchdog.start()
    try:
        bot.run()
    finally:
        watchdog.cancel()
    assert time.monotonic() < deadline, f"only {len(got)} messages in 60 s"
    assert got == texts

    # Nothing comes again: not from the cursor, not from the server.
    client = occhat.Client(env.server.address, bot_user[1])
    assert [e for e in client.events(timeout=1.0) if e.type == "message"] == []
    assert client.inbox(peek=True) == []


def test_bot_killed_halfway_and_restarted_loses_and_repeats_nothing(env):
    alice, bot = env.user("alice"), env.user("bot")
    env.befriend(alice, bot)
    texts = [f"k{i}" for i in range(1, 1001)]
    send_lines(env, alice, bot, texts)
    out = env.tmp / "handled.txt"
    script = os.path.join(HERE, "record_bot.py")

    def handled():
        return out.read_text().splitlines() if out.exists() else []

    first = env.start_python(script, env.server.address, bot[1], out)
    wait_for(lambda: len(handled()) >= 400, 60, lambda: f"400 handled; log {env.log()}", 0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = len(handled())
    assert 0 < killed_at < 1000, killed_at

    second = env.start_python(script, env.server.address, bot[1], out)
    wait_for(lambda: len(handled()) >= 1000, 60, lambda: f"1000 handled; log {env.log()}", 0.05)
    time.sleep(1.0)  # a repeat, if any, would show up now
    rc, _ = stop_with_sigint(second)
    assert rc == 0, env.log()
    lines = handled()
    got = [l.split(" ", 1)[1] for l in lines]
    # Nothing lost, in order; the one event whose handler was running at the SIGKILL (its record
    # written, its return not yet seen) may come once more — the documented guarantee. The
    # handler's "work" comes before the record, so that is rare; any other repeat is a bug.
    repeated_last = texts[:killed_at] + texts[killed_at - 1:]
    assert got in (texts, repeated_last), f"killed at {killed_at}; {len(lines)} lines"
    seqs = [int(l.split(" ", 1)[0]) for l in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) >= len(seqs) - 1


def test_file_bot_replies_with_the_sha256(env):
    alice, bot = env.user("alice"), env.user("bot")
    env.befriend(alice, bot)
    data = os.urandom(3 * 1024 * 1024 + 123)
    path = env.tmp / "photo.bin"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    proc = env.start_python(EXAMPLES / "file_bot.py", "--server", env.server.address, "--home", bot[1],
                            "--dir", env.tmp / "received")
    env.cli(alice[1], "upload", bot[0], path)
    wait_for(lambda: f"sha256 photo.bin {digest}" in replies_from(env, alice, bot), 30,
             lambda: f"the sha256 reply; log: {env.log()}", 0.2)
    received = list((env.tmp / "received").iterdir())
    assert [p.read_bytes() == data for p in received] == [True]
    rc, _ = stop_with_sigint(proc)
    assert rc == 0, env.log()


def test_handler_exception_is_logged_and_the_bot_survives(env, caplog):
    alice, bot_user = env.user("alice"), env.user("bot")
    env.befriend(alice, bot_user)
    send_lines(env, alice, bot_user, ["boom", "after"])
    bot = occhat.Bot(env.server.address, bot_user[1])
    seen = []

    @bot.on_message
    def handle(event):
        seen.append(event.text)
        if event.text == "boom":
            raise RuntimeError("handler bug")
        bot.stop()

    import threading
    watchdog = threading.Timer(30, bot.stop)
    watchdog.start()
    try:
        bot.run()
    finally:
        watchdog.cancel()
    assert seen == ["boom", "after"]
    assert "handler bug" in caplog.text
