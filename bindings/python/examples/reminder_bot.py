#!/usr/bin/python3
"""An asyncio room bot: "/remind SECONDS TEXT" answers TEXT after SECONDS, "/roll [SIDES]" at once.

    occhat login ID                      # once, as the bot's account
    python3 bindings/python/examples/reminder_bot.py [--server HOST:PORT] [--home DIR]

It accepts every friend request and joins every room it is invited to, then answers in the
room (or 1:1) where the command came from:

    occhat add BOT_ID                    # as you; the bot accepts
    occhat room create team              # prints ROOM
    occhat room invite ROOM BOT_ID       # the bot joins
    occhat send --room ROOM "/remind 60 tea is ready"

A reminder waits with `await asyncio.sleep`, so while it waits the bot answers other rooms and
people (one conversation's commands are handled in order). Reminders pending when it stops are
not lost: their events were not handled yet, so they run again at the next start.
"""

import argparse
import asyncio
import logging
import random
import sys

import occhat
import occhat.aio

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--server", help="HOST:PORT (default: $OCCHAT_SERVER or the saved session's)")
parser.add_argument("--home", help="home dir with session.json (default: $OCCHAT_HOME or ~/.occhat)")
options = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(message)s")

bot = occhat.aio.Bot(options.server, options.home, handler_timeout=3600)
USAGE = "/remind SECONDS TEXT (at most 3600 s); /roll [SIDES]"


@bot.on_request
async def befriend(event: occhat.Event) -> None:
    if event.sender is not None and not event.accepted:
        await bot.client.add_friend(event.sender)


@bot.on_room
async def join_when_invited(event: occhat.Event) -> None:
    if event.room_event is not None and event.room_event.kind == "invited":
        await bot.client.join_room(event.room_event.room)


@bot.on_command("remind")
async def remind(event: occhat.Event, args: str) -> None:
    seconds, _, text = args.partition(" ")
    if not seconds.isdigit() or not 0 <= int(seconds) <= 3600 or not text.strip():
        await bot.reply(event, f"usage: {USAGE}")
        return
    await asyncio.sleep(int(seconds))
    await bot.reply(event, f"reminder: {text.strip()}")


@bot.on_command("roll")
async def roll(event: occhat.Event, args: str) -> None:
    sides = int(args) if args.isdigit() and 2 <= int(args) <= 1000 else 6
    nick = event.sender.nick if event.sender is not None else "someone"
    await bot.reply(event, f"{nick} rolled {random.randint(1, sides)} (d{sides})")


sys.exit(bot.main("reminder bot"))  # one line, no traceback, if not logged in or the server is down
