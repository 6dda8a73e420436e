#!/usr/bin/python3
"""A room bot: joins every room it is invited to, rolls dice and says hello when mentioned.

    occhat login ID                      # once, as the bot's account
    python3 bindings/python/examples/room_bot.py [--server HOST:PORT] [--home DIR]

Befriend it (it accepts every friend request) and invite it to a room, then talk to it there
(or 1:1): "/roll" (1-6), "/roll 20" (1-20), "/help", or a message naming it as "@ID":

    occhat add BOT_ID                    # as you; the bot accepts
    occhat room create games             # prints ROOM
    occhat room invite ROOM BOT_ID       # the bot joins
    occhat send --room ROOM "/roll 20"
"""

import argparse
import logging
import random
import sys

import occhat

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--server", help="HOST:PORT (default: $OCCHAT_SERVER or the saved session's)")
parser.add_argument("--home", help="home dir with session.json (default: $OCCHAT_HOME or ~/.occhat)")
options = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(message)s")

bot = occhat.Bot(options.server, options.home)
HELP = "/roll [SIDES] rolls a die (6 sides unless told); /help shows this"


@bot.on_room
def join_when_invited(event: occhat.Event) -> None:
    if event.room_event is not None and event.room_event.kind == "invited":
        bot.client.join_room(event.room_event.room)


@bot.on_request
def befriend(event: occhat.Event) -> None:
    if event.sender is not None and not event.accepted:
        bot.client.add_friend(event.sender)  # friends can invite it to their rooms


@bot.on_command("roll")
def roll(event: occhat.Event, args: str) -> None:
    nick = event.sender.nick if event.sender else "someone"
    sides = int(args) if args.isdigit() and 2 <= int(args) <= 1000 else 6
    bot.reply(event, f"{nick} rolled {random.randint(1, sides)} (d{sides})")


@bot.on_command("help")
def usage(event: occhat.Event, args: str) -> None:
    bot.reply(event, HELP)


@bot.on_message
def mentioned(event: occhat.Event) -> None:
    if bot.user is not None and event.sender is not None and bot.user.id in event.mentions:
        bot.reply(event, f"hi {event.sender.nick}! {HELP}")


sys.exit(bot.main("room bot"))  # one line, no traceback, if not logged in or the server is down
