"""occhat.testing: test a bot against a real occhat-server.

In your conftest.py:

    pytest_plugins = ["occhat.testing"]

and in a test:

    def test_echo(occhat_server):
        alice, bot = occhat_server.users("alice", "bot")      # registered, logged in, friends
        with bot.run_bot("echo_bot.py"):                      # --server/--home of `bot`
            alice.client.send(bot, "hello")
            assert alice.wait_for_message(sender=bot).text == "hello"

The fixture `occhat_server` is one real `occhat-server` per test session, on a free loopback port
with a temporary data directory, stopped at the end. Accounts are recycled between tests: at the
end of a test its bots are killed and its accounts reset (friends, requests, rooms, blocks and
pending events cleared, a fresh connection), and the next test asking for the same nick gets
one of them. So after the first tests a test costs milliseconds plus what it does, not a server
start or password hashes (a new account costs two argon2id hashes, about 0.2 s, by design). A
test sees no event of an earlier one. (An account whose session a test revoked, or whose nick
it changed, is not reused.)

The server binary: $OCCHAT_SERVER_BINARY, else `occhat-server` next to this package in a build
tree (build/server/occhat-server when PYTHONPATH=build/python), else `occhat-server` on PATH.
Without pytest, use OcchatServer directly (`with OcchatServer() as server: ...`).
"""

import itertools
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ._client import Client, Id, _id
from ._errors import Error
from ._occhat import Event

__all__ = ["OcchatServer", "User", "BotProcess", "occhat_server", "occhat_server_process", "find_server_binary",
           "DEFAULT_PASSWORD"]

DEFAULT_PASSWORD = "occhat testing password"
_LISTENING = re.compile(r"^listening on (\S+):(\d+)$")
# No rate limits: a test suite registers, logs in and sends far faster than a person.
_UNLIMITED = ["--register-rate-per-address", "0", "--register-rate", "0", "--message-rate", "0",
              "--friend-request-rate", "0", "--find-rate", "0", "--durability", "process"]


def find_server_binary() -> pathlib.Path:
    """The occhat-server to start: $OCCHAT_SERVER_BINARY, the build tree's, or the one on PATH."""
    explicit = os.environ.get("OCCHAT_SERVER_BINARY")
    if explicit:
        return pathlib.Path(explicit)
    in_build = pathlib.Path(__file__).resolve().parents[2] / "server" / "occhat-server"
    if in_build.is_file() and os.access(in_build, os.X_OK):
        return in_build
    found = shutil.which("occhat-server")
    if found:
        return pathlib.Path(found)
    raise FileNotFoundError("occhat-server not found: build it, put it on PATH or set $OCCHAT_SERVER_BINARY")


class BotProcess:
    """A bot script running as a child process (see User.run_bot). A `with` block stops it."""

    def __init__(self, proc: "subprocess.Popen[bytes]", log_path: pathlib.Path) -> None:
        self.proc = proc
        self.log_path = log_path

    @property
    def log(self) -> str:
        """Everything the bot printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until_logged(self, text: str, timeout: float = 15.0) -> None:
        """Waits until the bot printed `text`; raises AssertionError (with the log) if it exits
        or the timeout passes first."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if self.proc.poll() is not None:
                raise AssertionError(f"the bot exited ({self.proc.returncode}) before printing {text!r}:\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not print {text!r} within {timeout} s:\n{self.log}")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGINT (like Ctrl-C), then SIGKILL after `timeout`; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def __enter__(self) -> "BotProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class User:
    """An account on the test server, logged in with its own home directory (like
    `occhat --home HOME login`). Has an .id, so it can be passed wherever an id is wanted:
    alice.client.send(bot, "hi")."""

    def __init__(self, server: "OcchatServer", user_id: int, nick: str, password: str, home: pathlib.Path) -> None:
        self.server = server
        self.id = user_id
        self.nick = nick
        self.password = password
        self.home = home
        self._client: Optional[Client] = None

    def __repr__(self) -> str:
        return f"User({self.nick!r}, id={self.id})"

    @property
    def client(self) -> Client:
        """A synchronous occhat.Client logged in as this user (made on first use, closed with
        the server)."""
        if self._client is None:
            self._client = Client(self.server.address, self.home)
        return self._client

    def befriend(self, *others: "User") -> None:
        """Makes this user and each of `others` friends (request and acceptance)."""
        for other in others:
            self.client.add_friend(other)
            other.client.add_friend(self)

    def wait_for_event(self, predicate: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        """The first pushed event for which predicate(event) is true (events before it count as
        handled). Raises AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.client.events(timeout=timeout, announce_presence=False) as stream:
            for event in stream:
                if predicate(event):
                    return event
                if time.monotonic() >= deadline:
                    break
        raise AssertionError(f"{self.nick}: no matching event within {timeout} s")

    def wait_for_message(self, text: Optional[str] = None, sender: Optional[Id] = None,
                         room: Optional[Id] = None, timeout: float = 10.0) -> Event:
        """The next message (with this text / from this sender / in this room, when given)."""
        def matches(event: Event) -> bool:
            return (event.type == "message" and (text is None or event.text == text)
                    and (sender is None or (event.sender is not None and event.sender.id == _id(sender)))
                    and (room is None or (event.room is not None and event.room.id == _id(room))))
        return self.wait_for_event(matches, timeout)

    def wait_for_room_event(self, kind: str, room: Optional[Id] = None, subject: Optional[Id] = None,
                            timeout: float = 10.0) -> Event:
        """The next room event of this kind ('invited', 'joined', 'left', ...; see
        occhat.RoomEvent), in this room and about this subject (the member who joined, left,
        ...) when given: alice.wait_for_room_event("joined", room, subject=bot)."""
        def matches(event: Event) -> bool:
            re_ = event.room_event
            return (event.type == "room" and re_ is not None and re_.kind == kind
                    and (room is None or re_.room.id == _id(room))
                    and (subject is None or (re_.subject is not None and re_.subject.id == _id(subject))))
        return self.wait_for_event(matches, timeout)

    def run_bot(self, script: Union[str, "os.PathLike[str]"], *args: str, ready: str = "running as",
                timeout: float = 15.0) -> BotProcess:
        """Starts `python3 SCRIPT --server ADDRESS --home HOME ARGS...` as this user and waits
        until it printed `ready` (Bot.main prints "NAME running as ..."). Stop it with a `with`
        block, .stop() or .kill()."""
        log_path = self.home / f"bot-{next(self.server._counter)}.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(pathlib.Path(__file__).resolve().parents[1])] +
                                            ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.setdefault("PYTHONUNBUFFERED", "1")
        with open(log_path, "ab") as out:
            proc = subprocess.Popen([sys.executable, os.path.abspath(script), "--server", self.server.address,
                                     "--home", str(self.home), *args], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env, cwd=self.home)
        bot = BotProcess(proc, log_path)
        self.server._bots.append(bot)
        try:
            bot.wait_until_logged(ready, timeout)
        except BaseException:
            bot.kill()
            raise
        return bot


class OcchatServer:
    """A real occhat-server on a free loopback port with a temporary data directory.

        with OcchatServer() as server:
            alice = server.user("alice")

    args: extra server options (e.g. ["--max-file-size", "1000000"]). Rate limits are off."""

    def __init__(self, args: Sequence[str] = (), binary: Optional[pathlib.Path] = None) -> None:
        self.binary = binary or find_server_binary()
        self.args = list(args)
        self.address = ""
        self._tmp: Optional[tempfile.TemporaryDirectory[str]] = None
        self.proc: Optional["subprocess.Popen[bytes]"] = None
        self._users: List[User] = []  # made or handed out since the last recycle()
        self._bots: List[BotProcess] = []
        self._spare: Dict[str, List[User]] = {}  # reset accounts by nick, for user()
        self._counter = itertools.count(1)

    @property
    def directory(self) -> pathlib.Path:
        """The temporary directory: data/ (the server's), homes of the users, logs."""
        assert self._tmp is not None, "the server is not started"
        return pathlib.Path(self._tmp.name)

    def start(self, timeout: float = 15.0) -> "OcchatServer":
        """Starts the server and waits until it listens."""
        self._tmp = tempfile.TemporaryDirectory(prefix="occhat-testing-")
        self._launch("127.0.0.1:0", timeout)
        return self

    def restart(self, down_for: float = 0.0, timeout: float = 15.0) -> None:
        """Stops the server (SIGTERM), waits `down_for` seconds and starts it again on the same
        address with the same data: connected clients and bots lose their connection, as in a
        server upgrade. Accounts, sessions and pending events survive."""
        assert self.proc is not None, "the server is not started"
        self.proc.terminate()
        self.proc.wait(15)
        time.sleep(down_for)
        self._launch(self.address, timeout)

    def _launch(self, listen: str, timeout: float) -> None:
        out_path, err_path = self.directory / "server.stdout", self.directory / "server.stderr"
        with open(out_path, "wb") as out, open(err_path, "ab") as err:
            self.proc = subprocess.Popen([str(self.binary), "--listen", listen, "--data-dir",
                                          str(self.directory / "data"), *_UNLIMITED, *self.args],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            text = out_path.read_text()
            if "\n" in text:
                match = _LISTENING.match(text.split("\n", 1)[0])
                if not match:
                    raise RuntimeError(f"occhat-server printed {text!r}")
                self.address = f"{match.group(1)}:{match.group(2)}"
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"occhat-server did not start: {err_path.read_text(errors='replace')}")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stops the bots started with run_bot, closes the users' clients, stops the server
        (SIGTERM, then SIGKILL) and deletes the temporary directory."""
        for bot in self._bots:
            bot.kill()
        for user in self._users + [u for spare in self._spare.values() for u in spare]:
            if user._client is not None:
                user._client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "OcchatServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def user(self, nick: str = "user", password: str = DEFAULT_PASSWORD) -> User:
        """An account with this nick and no friends, rooms or pending events, logged in with
        its session saved in a home directory of its own (user.home): one recycled from an
        earlier test (see recycle()), else a new one (a unique e-mail address)."""
        spare = self._spare.get(nick, [])
        for i, used in enumerate(spare):
            if used.password == password:
                del spare[i]
                user = User(self, used.id, nick, password, used.home)
                self._users.append(user)
                return user
        n = next(self._counter)
        home = self.directory / f"home-{n}-{nick}"
        client = Client(self.address, home)
        try:
            user_id = client.register(f"{nick}.{n}@testing.invalid", nick, password)
            client.login(user_id, password)
        except Error:
            client.close()
            raise
        user = User(self, user_id, nick, password, home)
        user._client = client
        self._users.append(user)
        return user

    def recycle(self) -> None:
        """Ends a test (the occhat_server fixture calls it): kills the bots started with
        run_bot, resets every account made or handed out since the last call and keeps it for
        user(). Reset: friendships and requests removed, rooms left (deleted when owned),
        invitations declined, blocks lifted, every pending event acknowledged (the home's
        cursor too), and a new connection. An account that cannot be reset is not reused."""
        for bot in self._bots:
            bot.kill()
        self._bots = []
        users, self._users = self._users, []
        clean = []
        for user in users:
            try:
                _reset(user)
                clean.append(user)
            except Error:
                pass
        for user in clean:  # after every reset: their removals made events for each other
            try:
                user.client.inbox()  # acknowledges everything (server and cursor)
                user.client.close()
                user._client = None
                self._spare.setdefault(user.nick, []).append(user)
            except Error:
                pass

    def users(self, *nicks: str, friends: bool = True) -> List[User]:
        """One new account per nick; with friends=True every two of them are friends."""
        made = [self.user(nick) for nick in nicks]
        if friends:
            for i, a in enumerate(made):
                a.befriend(*made[i + 1:])
        return made


def _reset(user: User) -> None:
    """Undoes what a test did to an account (see OcchatServer.recycle)."""
    client = user.client
    if client.whoami().nick != user.nick:
        raise Error("nick changed", "conflict")
    for friend in client.friends():
        client.remove_friend(friend)
    requests = client.requests()
    for request in requests.incoming + requests.outgoing:
        client.remove_friend(request.user)
    rooms = client.rooms()
    for room in rooms.rooms:
        if room.role == "owner":
            client.delete_room(room)
        else:
            client.leave_room(room)
    for invite in rooms.invites:
        client.decline_room(invite)
    for blocked in client.blocked_users():
        client.unblock_user(blocked)


def _pytest_fixtures() -> Tuple[Any, Any]:
    try:
        import pytest
    except ImportError:  # used without pytest: OcchatServer still works
        return None, None

    @pytest.fixture(scope="session")
    def occhat_server_process() -> Iterator[OcchatServer]:
        """The real occhat-server of the test session (see occhat.testing)."""
        with OcchatServer() as server:
            yield server

    @pytest.fixture
    def occhat_server(occhat_server_process: OcchatServer) -> Iterator[OcchatServer]:
        """The session's occhat-server; at the end of the test its bots are stopped and its
        accounts recycled (see occhat.testing)."""
        yield occhat_server_process
        occhat_server_process.recycle()
    return occhat_server_process, occhat_server


occhat_server_process, occhat_server = _pytest_fixtures()
