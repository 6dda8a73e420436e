"""occhat.aio.Bot: occhat.Bot for asyncio. Handlers may be `async def`; different conversations
are handled concurrently, one conversation's events in order."""

import asyncio
import collections
import inspect
import logging
import signal
import sys
import threading
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Sequence, Set, Tuple, Union

from ._aio_client import Client, EventStream
from ._errors import Error
from ._handlers import HandlerRegistry, conversation_of
from ._occhat import Event, UserInfo

log = logging.getLogger("occhat.bot")

# A handler is `async def fn(event)` or a plain `def fn(event)` (run on a thread, so it may block).
Handler = Callable[[Event], Union[None, Awaitable[None]]]
CommandHandler = Callable[[Event, str], Union[None, Awaitable[None]]]


# The events of one conversation waiting for (or in) its worker, oldest first.
Backlog = Deque[Event]


class Bot(HandlerRegistry[Handler, CommandHandler]):
    """A long-lived asyncio client that dispatches events to handlers.

        bot = occhat.aio.Bot()             # the session of `occhat login` (~/.occhat)

        @bot.on_command("roll")          # "/roll 20", in a room or 1:1
        async def roll(event: occhat.Event, args: str) -> None:
            await asyncio.sleep(1)         # other conversations are answered meanwhile
            await bot.reply(event, str(random.randint(1, int(args or 6))))

        sys.exit(bot.main("dice bot"))     # or: await bot.run() in your own loop

    Concurrency: the events of one conversation (a room, or one other user: see
    occhat.conversation_of) are handled one after the other, in order; different conversations
    at the same time, at most max_in_flight events at once. `async def` handlers run on the
    loop; plain functions run on a thread of the loop's default executor, so they may block.

    An event counts as handled when all its handlers have finished; the cursor (home/cursor)
    never passes an unfinished event, so a bot killed at any moment loses nothing and repeats
    only events whose handlers had not finished (with one conversation at a time: at most the
    one it was killed in). A handler that raises is logged; one that takes longer than
    handler_timeout seconds is logged (an async one is cancelled); either way the event counts
    as handled and the bot carries on. Events the bot's own user caused are never dispatched.
    """

    def __init__(self, server: Optional[str] = None, home: Any = None, *, client: Optional[Client] = None,
                 backoff: Optional[Sequence[float]] = None, handler_timeout: float = 300.0,
                 max_in_flight: int = 256) -> None:
        """backoff: reconnection delays in seconds (see occhat.Client.events); handler_timeout:
        seconds after which a handler counts as failed; max_in_flight: events handled at once."""
        super().__init__()
        self.client: Client = client or Client(server, home)
        self.user: Optional[UserInfo] = None  # the bot's own account, once main() logged in
        self.handler_timeout = handler_timeout
        self._backoff = backoff
        self._max_in_flight = max_in_flight
        self._stop: Optional[asyncio.Event] = None
        self._stop_requested = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    async def reply(self, event: Event, text: str) -> int:
        """Answers where an event came from: its room (a room message, file or room event), else
        the user who sent it. Returns the message id."""
        if event.room is not None:
            return await self.client.send_room_message(event.room, text)
        if event.sender is None:
            raise ValueError(f"a {event.type} event has no sender to reply to")
        return await self.client.send(event.sender, text)

    def stop(self) -> None:
        """Makes run() return once the handlers in progress have finished (at most
        handler_timeout later); events not started yet come again at the next run. Callable
        from any thread or a handler."""
        self._stop_requested = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)

    async def run(self) -> None:
        """Logs in with the saved session (announcing presence), subscribes from the cursor and
        dispatches events until stop(), SIGINT or SIGTERM, then waits for the handlers in
        progress and returns. Reconnects with backoff when the connection is lost. Raises at
        once AuthError without a valid session, ConnectionError when the server cannot be
        reached at start."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stop_requested:
            self._stop.set()
        restore = self._install_signals(self._loop, self._stop)
        stream = self.client.events(reconnect=True, announce_presence=True, backoff=self._backoff)
        # One worker task per conversation with events to handle; it ends when its backlog is empty.
        backlogs: Dict[Tuple[str, int], Backlog] = {}
        running: Set["asyncio.Task[None]"] = set()
        slots = asyncio.Semaphore(self._max_in_flight)
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            while not self._stop.is_set():
                await slots.acquire()
                event = stream.take_nowait()  # the common case under load: no task, no wait
                if event is None:
                    taking = asyncio.ensure_future(stream.take())
                    await asyncio.wait({taking, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if not taking.done():
                        taking.cancel()
                        slots.release()
                        break
                    event = taking.result()
                    if event is None:
                        slots.release()
                        break
                if event.type != "sent" and event.sender is not None and event.sender.id == stream.user_id:
                    stream.done(event)  # our own room file, echoed like to every member ("sent" goes to on("sent") only)
                    slots.release()
                    continue
                key = conversation_of(event)
                backlog = backlogs.get(key)
                if backlog is None:
                    backlog = backlogs[key] = collections.deque()
                    task = asyncio.create_task(self._work(key, backlog, backlogs, stream, slots))
                    running.add(task)
                    task.add_done_callback(running.discard)
                backlog.append(event)
        finally:
            stopping.cancel()
            # Only the events in progress are finished; the ones queued behind them stay
            # unhandled (not passed by the cursor) and come again at the next start.
            for backlog in backlogs.values():
                while len(backlog) > 1:
                    backlog.pop()
            if running:
                await asyncio.wait(running)  # each bounded by handler_timeout
            try:
                await stream.aclose()
            except Exception:
                log.exception("occhat: could not acknowledge on exit (the cursor is saved)")
            restore()
            await self.client.close()
            self._loop = None

    def main(self, name: str) -> int:
        """asyncio.run(run()) for a script: `sys.exit(bot.main("echo bot"))`. Logs in (setting
        bot.user), prints "NAME running as NICK (ID); Ctrl-C stops it", runs until stopped and
        returns 0. An occhat.Error is printed as one line "NAME: MESSAGE" on stderr and the
        CLI's exit code for it returned (3: not logged in, 2: server unreachable)."""
        async def start() -> int:
            try:
                self.user = await self.client.whoami()
                print(f"{name} running as {self.user.nick} ({self.user.id}); Ctrl-C stops it", flush=True)
                await self.run()
            except Error as e:
                print(f"{name}: {e}", file=sys.stderr, flush=True)
                return e.exit_code
            return 0
        return asyncio.run(start())

    async def _work(self, key: Tuple[str, int], backlog: Backlog, backlogs: Dict[Tuple[str, int], Backlog],
                    stream: EventStream, slots: asyncio.Semaphore) -> None:
        """Handles one conversation's events in order, each marked handled once its handlers
        finished, until its backlog is empty (then a new event starts a new worker)."""
        try:
            while backlog:
                event = backlog[0]
                for handler, args in self._calls(event):
                    await self._call(handler, args)
                stream.done(event)
                backlog.popleft()
                slots.release()
        finally:
            if backlogs.get(key) is backlog:
                del backlogs[key]  # empty (checked with no await since), or cancelled: the rest comes again

    async def _call(self, handler: Callable[..., object], args: Tuple[object, ...]) -> None:
        """Runs one handler; an exception or a time-out is logged and the bot carries on."""
        name = getattr(handler, "__name__", repr(handler))
        try:
            async with asyncio.timeout(self.handler_timeout):  # cancels an async handler at the end
                if inspect.iscoroutinefunction(handler):
                    await handler(*args)
                else:
                    loop = asyncio.get_running_loop()
                    result = await loop.run_in_executor(None, lambda: handler(*args))
                    if inspect.isawaitable(result):
                        await result
        except TimeoutError:
            log.error("occhat: handler %s did not finish within %s s on %r; the event counts as handled",
                      name, self.handler_timeout, args[0])
        except Exception:
            log.exception("occhat: handler %s failed on %r", name, args[0])

    @staticmethod
    def _install_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Callable[[], None]:
        """SIGINT and SIGTERM stop the bot while run() runs (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
            except (NotImplementedError, RuntimeError):
                pass

        def restore() -> None:
            for signum in installed:
                loop.remove_signal_handler(signum)
        return restore
