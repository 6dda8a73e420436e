"""occhat.Bot: decorators for event handlers and a run() loop that never loses or repeats an
event, reconnects on its own and stops cleanly on Ctrl-C."""

import logging
import signal
import threading
from typing import Callable, Dict, List, Optional

from ._client import Client

log = logging.getLogger("occhat.bot")

Handler = Callable[["object"], None]


class Bot:
    """A long-lived client that dispatches events to handlers.

        bot = occhat.Bot()                 # uses the session of `occhat login` (~/.occhat)

        @bot.on_message
        def echo(event):
            bot.reply(event, event.text)

        bot.run()

    Handlers run one at a time on the thread that called run(), holding the GIL. An exception
    in a handler is logged and the event counts as handled. An event counts as handled (cursor
    advanced, server acknowledged in batches) when its handlers have returned, so a bot killed
    at any moment neither loses events nor (unless killed inside a handler) repeats them.
    """

    def __init__(self, server: Optional[str] = None, home=None, *, client: Optional[Client] = None):
        self.client = client or Client(server, home)
        self._handlers: Dict[str, List[Handler]] = {"message": [], "presence": [], "friend_request": [], "file": []}
        self._stop = threading.Event()

    # ---- registration ---------------------------------------------------------------------

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        """Decorator for handlers of `event_type` ('message', 'presence', 'friend_request',
        'file', or a type added by a later server)."""
        def register(fn: Handler) -> Handler:
            self._handlers.setdefault(event_type, []).append(fn)
            return fn
        return register

    def on_message(self, fn: Handler) -> Handler:
        """Decorator: fn(event) for each message; event.sender, event.text, event.message."""
        return self.on("message")(fn)

    def on_presence(self, fn: Handler) -> Handler:
        """Decorator: fn(event) when a friend comes online or goes offline (event.user, .online)."""
        return self.on("presence")(fn)

    def on_request(self, fn: Handler) -> Handler:
        """Decorator: fn(event) for a friend request (event.sender; event.accepted=True when
        they accepted yours). Accept with bot.client.add_friend(event.sender.id)."""
        return self.on("friend_request")(fn)

    def on_file(self, fn: Handler) -> Handler:
        """Decorator: fn(event) for a received file (event.file: FileInfo). Fetch it with
        bot.client.download(event.file.id, path)."""
        return self.on("file")(fn)

    # ---- helpers for handlers -------------------------------------------------------------

    def reply(self, event, text: str) -> int:
        """Sends `text` to the user an event came from; returns the message id."""
        return self.client.send(event.sender.id, text)

    def stop(self) -> None:
        """Makes run() return after the current handler (callable from any thread)."""
        self._stop.set()

    # ---- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Logs in with the saved session (announcing presence), subscribes from the cursor and
        dispatches events until stop(), Ctrl-C (SIGINT) or SIGTERM, then returns normally
        (within about 0.1 s when idle). Reconnects with backoff (0.5, 1, 2, 4, 8 s) when the
        connection is lost. Raises AuthError when there is no valid session."""
        self._stop.clear()
        restore = self._install_sigterm()
        # Idle slices of 0.5 s (StopIteration) let stop() from another thread be noticed.
        stream = self.client.events(timeout=0.5, reconnect=True, announce_presence=True)
        try:
            while not self._stop.is_set():
                try:
                    event = next(stream)
                except StopIteration:
                    continue  # idle slice: check stop()
                try:
                    self._dispatch(event)
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

    def _dispatch(self, event) -> None:
        for handler in self._handlers.get(event.type, ()):
            try:
                handler(event)
            except Exception:
                log.exception("occhat: handler %s failed on %r", getattr(handler, "__name__", handler), event)

    @staticmethod
    def _install_sigterm():
        """SIGTERM behaves like Ctrl-C while run() runs (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def interrupt(signum, frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, interrupt)
        return lambda: signal.signal(signal.SIGTERM, previous)

