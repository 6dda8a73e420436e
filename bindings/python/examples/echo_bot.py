#!/usr/bin/python3
"""Replies to every message with the same text.

    occhat login ID                      # once, as the bot's account (saves ~/.occhat/session.json)
    python3 bindings/python/examples/echo_bot.py [--server HOST:PORT] [--home DIR]

Ctrl-C stops it (exit code 0). Messages sent while it was offline are answered when it starts,
each exactly once.
"""

import argparse
import logging
import sys

import occhat

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--server", help="HOST:PORT (default: $OCCHAT_SERVER or the saved session's)")
parser.add_argument("--home", help="home dir with session.json (default: $OCCHAT_HOME or ~/.occhat)")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(message)s")

bot = occhat.Bot(args.server, args.home)


@bot.on_message
def echo(event: occhat.Event) -> None:
    bot.reply(event, event.text or "")


@bot.on_request
def befriend(event: occhat.Event) -> None:
    if event.sender is not None and not event.accepted:
        bot.client.add_friend(event.sender)  # accept every friend request


sys.exit(bot.main("echo bot"))  # one line, no traceback, if not logged in or the server is down
