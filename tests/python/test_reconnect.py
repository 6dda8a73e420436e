"""Bot.run() when the server goes away: the reconnection schedule is kept."""

import logging
import threading
from conftest import wait_for

import occhat


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
    assert len([when for when, _ in attempts if when - first < 2.9]) == 5, caplog.text
