"""occhat.Bot: decorators for event handlers and a run() loop that never loses or repeats an
event, reconnects on its own and stops cleanly on Ctrl-C."""

import logging
import signal
import sys
import threading
from typing import Any, Callable, Optional, Sequence

from ._client import Client
from ._errors import Error
from ._handlers import HandlerRegistry, parse_command
from ._occhat import Event, UserInfo

log = logging.getLogger("occhat.bot")

Handler = Callable[[Event], None]
CommandHandler = Callable[[Event, str], None]


class Bot(HandlerRegistry[Handler, CommandHandler]):
    """A long-lived client that dispatches events to handlers.

        bot = occhat.Bot()                 # uses the session of `occhat login` (~/.occhat)

        @bot.on_message
        def echo(event):
            bot.reply(event, event.text)

        @bot.on_command("roll")          # "/roll 20", in a room or 1:1
        def roll(event, args):
            bot.reply(event, str(random.randint(1, int(args or 6))))

        bot.run()

    Handlers run one at a time on the thread that called run(), holding the GIL. An exception
    in a handler is logged and the event counts as handled. An event counts as handled (cursor
    advanced, server acknowledged in batches) when its handlers have returned, so a bot killed
    at any moment neither loses events nor (unless killed inside a handler) repeats them.

    Events the bot's own user caused (its room messages and room files, which its own session
    receives like every member's) are never dispatched, so a bot does not answer itself; they
    count as handled.
    """

    def __init__(self, server: Optional[str] = None, home: Any = None, *, client: Optional[Client] = None,
                 backoff: Optional[Sequence[float]] = None):
        """backoff: the reconnection delays in seconds (default EventStream.BACKOFF; see
        Client.events)."""
        super().__init__()
        self.client = client or Client(server, home)
        self.user: Optional[UserInfo] = None  # the bot's own account, once main() logged in
        self._backoff = backoff
        self._stop = threading.Event()

    # ---- helpers for handlers -------------------------------------------------------------

    def reply(self, event: Event, text: str) -> int:
        """Answers where an event came from: its room (a room message, file or room event), else
        the user who sent it. Returns the message id."""
        if event.room is not None:
            return self.client.send_room_message(event.room, text)
        if event.sender is None:
            raise ValueError(f"a {event.type} event has no sender to reply to")
        return self.client.send(event.sender, text)

    def stop(self) -> None:
        """Makes run() return after the current handler (callable from any thread)."""
        self._stop.set()

    # ---- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Logs in with the saved session (announcing presence), subscribes from the cursor and
        dispatches events until stop(), Ctrl-C (SIGINT) or SIGTERM, then returns normally
        (within about 0.1 s when idle). Reconnects with backoff (0.5, 1, 2, 4, 8, 8, ... s between
        attempts) when the connection is lost. Raises at once AuthError when there is no valid
        session, ConnectionError when the server cannot be reached at start."""
        self._stop.clear()
        restore = self._install_sigterm()
        # Idle slices of 0.5 s (StopIteration) let stop() from another thread be noticed.
        stream = self.client.events(timeout=0.5, reconnect=True, announce_presence=True, backoff=self._backoff)
        try:
            while not self._stop.is_set():
                try:
                    event = next(stream)
                except StopIteration:
                    continue  # idle slice: check stop()
                try:
                    self._dispatch(event, stream.user_id)
                except KeyboardInterrupt:
                    stream._forget_taken()  # interrupted inside a handler: deliver it again next time
                    raise
        except KeyboardInterrupt:
            log.info("occhat: interrupted; stopping")
        finally:
            try:
                stream.close()
            except Exception:
                log.exception("occhat: could not acknowledge on exit (the cursor is saved)")
            restore()
            self.client.close()

    def main(self, name: str) -> int:
        """run() for a script: `sys.exit(bot.main("echo bot"))`. Logs in (setting bot.user),
        prints "NAME running as NICK (ID); Ctrl-C stops it", runs until stopped and returns 0.
        An occhat.Error (not logged in, server unreachable, token revoked, ...) is printed as
        one line "NAME: MESSAGE" on stderr, without a traceback, and the CLI's exit code for it
        returned (3: not logged in, 2: server unreachable)."""
        try:
            self.user = self.client.whoami()
            print(f"{name} running as {self.user.nick} ({self.user.id}); Ctrl-C stops it", flush=True)
            self.run()
        except Error as e:
            print(f"{name}: {e}", file=sys.stderr, flush=True)
            return e.exit_code
        return 0

    def _dispatch(self, event: Event, me: int) -> None:
        # Our own message (a "sent" carbon, from this bot or another device of its account) goes
        # only to on("sent") handlers (_calls routes by type): never on_message, never a command,
        # so a bot cannot answer itself.
        if event.type != "sent" and event.sender is not None and event.sender.id == me:
            return  # our own room file, echoed to this session like to every member
        for handler, args in self._calls(event):
            self._call(handler, *args)

    @staticmethod
    def _call(handler: Callable[..., object], *args: object) -> None:
        """Runs one handler; an exception is logged and the bot carries on."""
        try:
            handler(*args)
        except Exception:
            log.exception("occhat: handler %s failed on %r", getattr(handler, "__name__", handler), args[0])

    @staticmethod
    def _install_sigterm() -> Callable[[], object]:
        """SIGTERM behaves like Ctrl-C while run() runs (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, interrupt)
        return lambda: signal.signal(signal.SIGTERM, previous)

