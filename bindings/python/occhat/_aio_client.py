"""occhat.aio's Client and EventStream (see occhat/aio.py, the public module, for the whole
story). Kept apart from the Bot, which builds on them, so neither imports the other's module.
"""

import asyncio
import collections
import concurrent.futures
import functools
import logging
import pathlib
import time
from typing import Any, Callable, Concatenate, Coroutine, Deque, Optional, ParamSpec, Sequence, TypeVar

from . import _client, _occhat
from ._errors import ConnectionError, Error
from ._home import Cursor
from ._occhat import Event, UserInfo

__all__ = ["Client", "EventStream"]

log = logging.getLogger("occhat")

P = ParamSpec("P")
R = TypeVar("R")


def _wrap(method: Callable[Concatenate[_client.Client, P], R]) -> Callable[Concatenate["Client", P], Coroutine[Any, Any, R]]:
    """The coroutine version of a method of occhat.Client: same arguments, same result, same
    errors, run on the client's worker threads. Its type is taken from the synchronous method,
    so `name = _wrap(_client.Client.name)` is all a new call needs (tests/python/test_aio.py
    checks that none is missing)."""
    async def call(self: "Client", /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._run(functools.partial(method, self.sync, *args, **kwargs))
    call.__name__ = method.__name__
    call.__qualname__ = f"Client.{method.__name__}"
    call.__doc__ = f"Coroutine version of occhat.Client.{method.__name__}. {method.__doc__ or ''}"
    return call


class Client:
    """occhat.Client for asyncio: every call is a coroutine with the arguments, result and errors
    of the synchronous call (see occhat.Client), and events() is an async iterator.

    Arguments as for occhat.Client, plus max_workers: how many calls may wait on the network at
    once (the rest queue). The synchronous client is `.sync` (its calls block: do not use them
    on the loop, and do not iterate its events() while this client's events() runs).
    `async with` closes the connection at the end."""

    def __init__(self, server: Optional[str] = None, home: Any = None, *, max_workers: int = 4,
                 connect_timeout: float = 5.0, request_timeout: float = 15.0, tls: Optional[bool] = None,
                 ca_file: Optional[str] = None, keepalive_interval: float = 10.0,
                 keepalive_timeout: float = 10.0) -> None:
        self.sync: _client.Client = _client.Client(server, home, connect_timeout=connect_timeout,
                                                   request_timeout=request_timeout, tls=tls, ca_file=ca_file,
                                                   keepalive_interval=keepalive_interval,
                                                   keepalive_timeout=keepalive_timeout)
        self._max_workers = max_workers
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None  # made on first use

    @property
    def server(self) -> str:
        """The server this client talks to: "HOST:PORT", or a list of nodes "HOST:PORT,HOST:PORT"
        (connected_to says which one the connection uses)."""
        return self.sync.server

    @property
    def connected_to(self) -> str:
        """The entry of the server list ("HOST:PORT") the connection uses, or used last; "" before
        the first connection."""
        return self.sync.connected_to

    @property
    def home(self) -> pathlib.Path:
        """The home directory (session.json, cursor), shared with the CLI."""
        return self.sync.home

    async def _run(self, fn: Callable[[], R]) -> R:
        """fn() on a worker thread; its result (or exception) comes back to the loop."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(self._max_workers, thread_name_prefix="occhat-aio")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def close(self) -> None:
        """Closes the connection (the saved session stays) and ends the worker threads; a later
        call connects again, like occhat.Client."""
        await self._run(self.sync.close)
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # One line per call of occhat.Client (see _wrap).
    register = _wrap(_client.Client.register)
    login = _wrap(_client.Client.login)
    resume = _wrap(_client.Client.resume)
    logout = _wrap(_client.Client.logout)
    change_password = _wrap(_client.Client.change_password)
    set_nick = _wrap(_client.Client.set_nick)
    set_discoverable = _wrap(_client.Client.set_discoverable)
    sessions = _wrap(_client.Client.sessions)
    end_session = _wrap(_client.Client.end_session)
    delete_account = _wrap(_client.Client.delete_account)
    find_users = _wrap(_client.Client.find_users)
    whoami = _wrap(_client.Client.whoami)
    find = _wrap(_client.Client.find)
    add_friend = _wrap(_client.Client.add_friend)
    remove_friend = _wrap(_client.Client.remove_friend)
    requests = _wrap(_client.Client.requests)
    friends = _wrap(_client.Client.friends)
    send = _wrap(_client.Client.send)
    inbox = _wrap(_client.Client.inbox)
    ack = _wrap(_client.Client.ack)
    history = _wrap(_client.Client.history)
    mark_read = _wrap(_client.Client.mark_read)
    upload = _wrap(_client.Client.upload)
    files = _wrap(_client.Client.files)
    files_page = _wrap(_client.Client.files_page)
    cancel_upload = _wrap(_client.Client.cancel_upload)
    cancel_upload_file = _wrap(_client.Client.cancel_upload_file)
    cancel_room_upload_file = _wrap(_client.Client.cancel_room_upload_file)
    file_info = _wrap(_client.Client.file_info)
    download = _wrap(_client.Client.download)
    create_room = _wrap(_client.Client.create_room)
    invite_to_room = _wrap(_client.Client.invite_to_room)
    join_room = _wrap(_client.Client.join_room)
    decline_room = _wrap(_client.Client.decline_room)
    leave_room = _wrap(_client.Client.leave_room)
    remove_from_room = _wrap(_client.Client.remove_from_room)
    set_room_admin = _wrap(_client.Client.set_room_admin)
    transfer_room = _wrap(_client.Client.transfer_room)
    rename_room = _wrap(_client.Client.rename_room)
    delete_room = _wrap(_client.Client.delete_room)
    rooms = _wrap(_client.Client.rooms)
    room_members = _wrap(_client.Client.room_members)
    send_room_message = _wrap(_client.Client.send_room_message)
    room_history = _wrap(_client.Client.room_history)
    upload_room_file = _wrap(_client.Client.upload_room_file)
    room_files = _wrap(_client.Client.room_files)
    room_files_page = _wrap(_client.Client.room_files_page)
    block_user = _wrap(_client.Client.block_user)
    unblock_user = _wrap(_client.Client.unblock_user)
    blocked_users = _wrap(_client.Client.blocked_users)

    def events(self, timeout: Optional[float] = None, reconnect: bool = False, announce_presence: bool = True, *,
               backoff: Optional[Sequence[float]] = None) -> "EventStream":
        """`async for event in client.events()`: the pushed events, with the guarantees of
        occhat.Client.events() (same arguments): an event counts as handled when the loop asks
        for the next one or leaves (the home's cursor advances, the server is acknowledged in
        batches), so a restarted program neither loses nor repeats events, except the one it
        was killed in. Leave with `break` and the stream is closed (acknowledged) by `await
        stream.aclose()` or `async with client.events() as stream`. One stream per client at a
        time: a new one takes the events over."""
        return EventStream(self, timeout, reconnect, announce_presence, backoff)


class EventStream:
    """The async iterator returned by Client.events().

    Besides plain iteration it lets several events be handled at once (occhat.aio.Bot does):
    take() returns the next event without finishing the previous one, done(event) marks one
    finished, in any order. The cursor only advances over a prefix of finished events, so it
    never passes an unfinished one."""

    ACK_QUIET = _client.EventStream.ACK_QUIET
    ACK_BATCH = _client.EventStream.ACK_BATCH
    BACKOFF = _client.EventStream.BACKOFF

    def __init__(self, client: Client, timeout: Optional[float], reconnect: bool, announce_presence: bool,
                 backoff: Optional[Sequence[float]] = None) -> None:
        self._client = client
        self._raw = client.sync.raw
        self._timeout = timeout
        self._reconnect = reconnect
        self._announce = announce_presence
        self._backoff = tuple(backoff or self.BACKOFF)
        self._cursor: Optional[Cursor] = None
        self._queue: Optional["asyncio.Queue[Event]"] = None
        self._pipe: Optional[_occhat.EventPipe] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._subscribed = False
        self._ever_subscribed = False
        self._announced = False
        self._failures = 0
        self._retry_at = 0.0
        self._closed = False
        # Sequenced events taken and not yet finished, oldest first: [seq, finished].
        self._pending: Deque[list[int]] = collections.deque()
        self._highest_taken = 0
        self._iterated: Optional[Event] = None  # the event the last __anext__ returned
        self._acked = 0
        self._handled_since_ack = 0

    @property
    def cursor(self) -> int:
        """The highest seq handled so far (persisted in home/cursor)."""
        return self._cursor.value if self._cursor else 0

    @property
    def user_id(self) -> int:
        """The user whose events these are (0 before the first subscription)."""
        return self._cursor.user_id if self._cursor else 0

    def __aiter__(self) -> "EventStream":
        return self

    async def __aenter__(self) -> "EventStream":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def __anext__(self) -> Event:
        if self._iterated is not None:
            self.done(self._iterated)
            self._iterated = None
        event = await self.take(self._timeout)
        if event is None:
            await self._flush_ack()
            raise StopAsyncIteration
        self._iterated = event
        return event

    async def take(self, timeout: Optional[float] = None) -> Optional[Event]:
        """The next event, or None after `timeout` seconds without one (None: wait forever) or
        once closed. The event stays unfinished until done(event)."""
        if self._closed:
            return None
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        if self._handled_since_ack >= self.ACK_BATCH:
            await self._flush_ack()
        while True:
            if not self._subscribed and not await self._subscribe(deadline):
                return None
            assert self._queue is not None and self._cursor is not None
            wait = self.ACK_QUIET if self._handled_since_ack else None
            if deadline is not None:
                left = max(0.0, deadline - loop.time())
                wait = left if wait is None else min(wait, left)
            try:
                if not self._queue.empty():
                    event = self._queue.get_nowait()  # no timer (wait_for makes a task) when one is ready
                elif wait is None:
                    event = await self._queue.get()
                else:
                    event = await asyncio.wait_for(self._queue.get(), wait)
            except asyncio.TimeoutError:
                if self._handled_since_ack:
                    await self._flush_ack()
                if deadline is not None and loop.time() >= deadline:
                    return None
                continue
            if self._accept(event):
                return event

    def take_nowait(self) -> Optional[Event]:
        """The next event if one is ready, else None (then await take()). Like take()."""
        if self._closed or not self._subscribed or self._queue is None or self._handled_since_ack >= self.ACK_BATCH:
            return None
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if self._accept(event):
                return event
            if not self._subscribed:
                return None
        return None

    def _accept(self, event: Event) -> bool:
        """Whether a received event is one to hand out (and if so, takes it). Skips events
        handled before; a "disconnected" event ends the subscription (raising ConnectionError
        without reconnect)."""
        assert self._cursor is not None
        if event.type == "disconnected":
            self._subscribed = False
            self._announced = False
            if not self._reconnect:
                raise ConnectionError("connection to the server lost", "unavailable")
            return False
        if event.seq:
            if event.seq <= self._cursor.value:
                self._handled_since_ack += 1  # handled before: just make sure it is acked
                return False
            if event.seq <= self._highest_taken:
                return False  # sent again after a reconnection while still being handled
            self._highest_taken = event.seq
            self._pending.append([event.seq, 0])
        return True

    def done(self, event: Event) -> None:
        """Marks a taken event finished. The cursor advances over every finished event up to
        the oldest unfinished one (written to home/cursor at once, acknowledged in batches)."""
        if not event.seq or self._cursor is None:
            return
        for entry in self._pending:
            if entry[0] == event.seq:
                entry[1] = 1
                break
        finished = 0
        while self._pending and self._pending[0][1]:
            finished = self._pending.popleft()[0]
            self._handled_since_ack += 1
        if finished:
            self._cursor.advance(finished)

    async def aclose(self) -> None:
        """Marks the last iterated event handled, acknowledges everything handled and stops
        receiving events. Unfinished events (see take()) come again next time."""
        if self._closed:
            return
        if self._iterated is not None:
            self.done(self._iterated)
            self._iterated = None
        try:
            await self._flush_ack()
        finally:
            self._closed = True
            if self._pipe is not None:
                if self._loop is not None:
                    self._loop.remove_reader(self._pipe.fileno())
                self._pipe.close()
                self._pipe = None

    def _drain(self) -> None:
        """Called by the loop when the pipe is readable: moves pushed events to the queue."""
        if self._pipe is None or self._queue is None:
            return
        for event in self._pipe.take():
            self._queue.put_nowait(event)

    async def _flush_ack(self) -> None:
        self._handled_since_ack = 0
        if self._cursor is None or self._cursor.value <= self._acked or not self._raw.connected():
            return
        value = self._cursor.value
        try:
            await self._client._run(functools.partial(self._raw.ack, value))
            self._acked = value
        except Error:
            pass  # acked after the next reconnection; the cursor already prevents repeats

    async def _subscribe(self, deadline: Optional[float]) -> bool:
        """Logs in (if needed) and subscribes from the cursor, retrying on the backoff schedule
        with reconnect; False when the deadline comes first. The first subscription's errors
        are raised (ConnectionError, AuthError)."""
        loop = asyncio.get_running_loop()
        if self._pipe is None:
            self._loop = loop
            self._queue = asyncio.Queue()
            self._pipe = _occhat.EventPipe(self._raw)
            loop.add_reader(self._pipe.fileno(), self._drain)
            self._drain()  # events queued before the handler was installed
        while True:
            now = time.monotonic()
            if now < self._retry_at:
                if deadline is not None and loop.time() + (self._retry_at - now) > deadline:
                    await asyncio.sleep(max(0.0, deadline - loop.time()))
                    return False
                await asyncio.sleep(self._retry_at - now)
            try:
                user: Optional[UserInfo] = self._raw.current_user() if self._raw.connected() else None
                if user is None or (self._announce and not self._announced):
                    user = await self._client.resume(announce_presence=self._announce)
                    self._announced = self._announce
                if self._cursor is None or self._cursor.user_id != user.id:
                    self._cursor = Cursor(self._client.sync.home, user.id)
                    self._acked = 0
                await self._client._run(functools.partial(self._raw.subscribe, self._cursor.value))
                self._subscribed = self._ever_subscribed = True
                if self._failures:
                    if "," in self._client.sync.server:  # a list of nodes: say which one took over
                        log.warning("occhat: reconnected to %s", self._raw.server())
                    else:
                        log.warning("occhat: reconnected")
                self._failures = 0
                return True
            except ConnectionError:
                if not (self._reconnect and self._ever_subscribed):
                    raise
                delay = self._backoff[min(self._failures, len(self._backoff) - 1)]
                self._failures += 1
                self._retry_at = time.monotonic() + delay
                log.warning("occhat: connection lost; reconnecting in %s s", delay)
