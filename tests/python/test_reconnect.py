"""Bot.run() when the server goes away (the reconnection schedule is kept), and a bot that cannot
start (no saved session, server never reached): it fails at once, the examples with one line."""

import logging
import socket
import subprocess
import threading
import time

import pytest

from conftest import EXAMPLES, wait_for

import occhat


def unused_address():
    """HOST:PORT where nothing listens (a port the kernel just gave out and took back)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def run_raises(bot, within=5.0):
    """The exception bot.run() raises within `within` seconds (fails if it keeps running)."""
    raised = []

    def target():
        try:
            bot.run()
        except BaseException as e:  # reported to the test below
            raised.append(e)

    thread = threading.Thread(target=target, daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(within)
    if thread.is_alive():
        stop_bot(bot, thread)
        pytest.fail(f"bot.run() was still running after {within} s (raised: {raised})")
    assert raised, "bot.run() returned instead of raising"
    return raised[0], time.monotonic() - start


def start_bot(bot):
    """Runs bot.run() in a thread; returns the thread."""
    thread = threading.Thread(target=bot.run, daemon=True)
    thread.start()
    return thread


def stop_bot(bot, thread):
    bot.stop()
    thread.join(10)
    assert not thread.is_alive(), "bot.run() did not return within 10 s of stop()"


def test_reconnect_waits_out_each_announced_delay(env, caplog):
    alice, bot_user = env.user("alice"), env.user("bot")
    env.befriend(alice, bot_user)
    schedule = (0.2, 0.4, 0.8)
    bot = occhat.Bot(env.server.address, bot_user[1], backoff=schedule)
    received = threading.Event()
    bot.on_message(lambda event: received.set())
    caplog.set_level(logging.WARNING, logger="occhat")

    def retries():
        return [(r.created, r.args[0]) for r in caplog.records if "reconnecting in" in r.getMessage()]

    thread = start_bot(bot)
    try:
        env.cli(alice[1], "send", bot_user[0], "ping")
        assert received.wait(20), "the bot never received the message"
        env.server.stop()
        # Failed attempts due at about 0, 0.2, 0.6, 1.4, 2.2, 3.0 s after the connection is lost.
        wait_for(lambda: len(retries()) >= 6, 15, lambda: f"six attempts; log:\n{caplog.text}")
    finally:
        stop_bot(bot, thread)

    attempts = retries()
    assert [delay for _, delay in attempts][:5] == [0.2, 0.4, 0.8, 0.8, 0.8], caplog.text
    for (when, delay), (next_when, _) in zip(attempts, attempts[1:]):
        assert next_when - when >= delay - 0.05, f"retried {next_when - when:.2f} s after announcing {delay} s\n{caplog.text}"
    first = attempts[0][0]
    assert len([when for when, _ in attempts if when - first < 2.9]) <= 5, caplog.text


def test_bot_without_a_saved_session_raises_auth_error_at_once(env):
    bot = occhat.Bot(unused_address(), env.tmp / "empty-home")
    error, took = run_raises(bot)
    assert isinstance(error, occhat.AuthError), repr(error)
    assert "not logged in" in str(error)
    assert took < 2.0, took


def test_bot_that_never_reached_the_server_raises_connection_error_at_once(env):
    bot_user = env.user("bot")
    env.server.stop()
    bot = occhat.Bot(env.server.address, bot_user[1])
    error, took = run_raises(bot)
    assert isinstance(error, occhat.ConnectionError), repr(error)
    assert error.code == "unavailable"
    assert "cannot reach server" in str(error)
    assert took < 2.0, took


def run_example(env, name, home, server, timeout=10):
    proc = subprocess.run(["/usr/bin/python3", str(EXAMPLES / name), "--server", server, "--home", str(home)],
                          stdin=subprocess.DEVNULL, capture_output=True, env=env.env, timeout=timeout)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


@pytest.mark.parametrize("name,label", [("echo_bot.py", "echo bot"), ("file_bot.py", "file bot"),
                                        ("room_bot.py", "room bot")])
def test_example_without_a_session_prints_one_line_and_exits_3(env, name, label):
    rc, out, err = run_example(env, name, env.tmp / "empty-home", unused_address())
    assert (rc, out, err) == (3, "", f"{label}: not logged in (run: occhat login ID)\n")


def test_example_with_the_server_down_prints_one_line_and_exits_2(env):
    bot_user = env.user("bot")
    env.server.stop()
    rc, out, err = run_example(env, "echo_bot.py", bot_user[1], env.server.address)
    assert rc == 2, (out, err)
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"echo bot: cannot reach server {env.server.address}"), err
