"""occhat.aio: the occhat API for asyncio.

    import asyncio, occhat.aio

    async def main() -> None:
        async with occhat.aio.Client() as client:      # the CLI's saved session (~/.occhat)
            await client.send(654321, "hello")          # every occhat.Client call, awaited
            async for event in client.events():        # same cursor, ack and reconnect rules
                print(event)

    asyncio.run(main())

occhat.aio.Bot is occhat.Bot for asyncio: handlers may be `async def`, and those of different
conversations run concurrently.

How it meets the loop: pushed events come from the SDK's I/O thread through a pipe the loop
watches (loop.add_reader), without any thread of Python's own. Calls run the synchronous SDK call
on a small fixed pool of threads (max_workers, default 4; the GIL is released while the C++ call
blocks), whose results reach the loop through loop.call_soon_threadsafe; so at most max_workers
calls wait on the network at once and the rest queue, and nothing blocks the loop.
"""

from ._aio_bot import Bot
from ._aio_client import Client, EventStream

__all__ = ["Client", "EventStream", "Bot"]

# Shown (repr, help, tracebacks) as the public names they are.
for _public in (Client, EventStream, Bot):
    _public.__module__ = __name__
