"""A bot for the tests: appends "SEQ TEXT" for each message it handles to OUT (flushed), after
simulating some work, so a SIGKILL at a random moment almost always lands before the record."""

import sys
import time

import occhat

server, home, out_path = sys.argv[1:4]
bot = occhat.Bot(server, home)
out = open(out_path, "a", buffering=1)


@bot.on_message
def record(event):
    time.sleep(0.002)  # the "work"; the record below is the handler's only side effect
    out.write(f"{event.seq} {event.text}\n")
    out.flush()


print("running", flush=True)
bot.run()
