#!/usr/bin/python3
"""Downloads every file it receives and replies with the file's SHA-256.

    occhat login ID                      # once, as the bot's account
    python3 bindings/python/examples/file_bot.py [--server HOST:PORT] [--home DIR] [--dir DIR]

Files go to --dir (default ./received). The SDK verifies each download against the SHA-256 the
sender's SDK computed; the bot hashes the local copy again and replies "sha256 NAME HEX".
"""

import argparse
import hashlib
import logging
import os
import sys

import occhat

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--server", help="HOST:PORT (default: $OCCHAT_SERVER or the saved session's)")
parser.add_argument("--home", help="home dir with session.json (default: $OCCHAT_HOME or ~/.occhat)")
parser.add_argument("--dir", default="received", help="where received files go")
args = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(message)s")
os.makedirs(args.dir, exist_ok=True)

bot = occhat.Bot(args.server, args.home)


@bot.on_file
def on_file(event: occhat.Event) -> None:
    assert event.file is not None  # always set on a file event
    target = os.path.join(args.dir, f"{event.file.id}")
    # The name is the file's id, so an existing copy holds the same bytes (an event delivered
    # again after a crash inside this handler): fetching it again may replace it.
    result = bot.client.download(event.file, target, resume=True, overwrite=True)
    digest = hashlib.sha256()
    with open(result.path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    bot.reply(event, f"sha256 {event.file.name} {digest.hexdigest()}")


@bot.on_request
def befriend(event: occhat.Event) -> None:
    if event.sender is not None and not event.accepted:
        bot.client.add_friend(event.sender)


sys.exit(bot.main("file bot"))  # one line, no traceback, if not logged in or the server is down
