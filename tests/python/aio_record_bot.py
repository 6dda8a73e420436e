"""An occhat.aio bot for the tests: appends "SEQ TEXT" for each message it handles to OUT
(flushed) after awaiting some "work", so a SIGKILL at a random moment usually lands inside a
handler."""

import asyncio
import sys

import occhat
import occhat.aio

server, home, out_path = sys.argv[1:4]
bot = occhat.aio.Bot(server, home)
out = open(out_path, "a", buffering=1)


@bot.on_message
async def record(event: occhat.Event) -> None:
    await asyncio.sleep(0.002)  # the "work"; the record below is the handler's only side effect
    out.write(f"{event.seq} {event.text}\n")
    out.flush()


sys.exit(bot.main("aio record bot"))
