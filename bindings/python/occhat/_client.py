"""occhat.Client: the SDK's calls with the CLI's names and meanings, plus events()."""

import logging
import os
import pathlib
import time
from typing import Any, Callable, Iterable, Iterator, List, Optional, Protocol, Sequence, Union

from . import _occhat
from ._errors import AuthError, ConnectionError, Error, InvalidArgumentError
from ._home import (Cursor, add_pending_revocation, clear_pending_revocations, load_session, pending_revocations,
                    remove_session, resolve_home, save_session)

DEFAULT_SERVER = "127.0.0.1:7878"
log = logging.getLogger("occhat")

Progress = Optional[Callable[[int, int], None]]
# A file name: what open() takes.
Path = Union[str, "os.PathLike[str]"]


class HasId(Protocol):
    """Anything with an id: UserInfo, Friend, FriendRequest, RoomMember, Room, RoomRef, FileInfo,
    Message..."""
    id: int


Id = Union[int, HasId]


def _id(value: Id) -> int:
    """The id every call takes: an int (or anything int() accepts), or the .id of an object, so
    client.send(event.sender, "hi") and client.send_room_message(room, "hi") work."""
    try:
        return int(getattr(value, "id", value))  # type: ignore[arg-type]  # checked at run time
    except TypeError:
        raise TypeError(f"expected an id (an int, or an object with .id such as UserInfo or Room), "
                        f"not {type(value).__name__}") from None


def _user_of(raw: "_occhat.RawClient") -> "_occhat.UserInfo":
    """The user a connection is logged in as (_logged_in() made sure there is one)."""
    user = raw.current_user()
    if user is None:  # the connection was lost in between
        raise ConnectionError("connection to the server lost", "unavailable")
    return user


def _safe_local_name(name: str) -> str:
    """A file's display name made safe to use as a file name in the current directory."""
    base = name.replace("\\", "/").split("/")[-1].lstrip(".")
    base = "".join(ch if ch.isprintable() else "_" for ch in base)
    return base or "unnamed"


class Client:
    """A connection to an occhat-server, logged in with the session saved in `home`.

    server: "HOST:PORT", or the nodes of a cluster as "HOST:PORT,HOST:PORT,..." (tried in turn;
    a lost connection reconnects to the next one, see the README's "Failover"); None means
    $OCCHAT_SERVER, else the saved session's server, else 127.0.0.1:7878. A malformed entry
    raises InvalidArgumentError naming it at the first call. home: the directory shared with the `occhat` CLI (None: $OCCHAT_HOME, else
    ~/.occhat); it holds session.json (so `resume()` continues the CLI's login) and the cursor
    used by events() for exactly-once handling. Calls connect and resume the saved session on
    demand. Every blocking call releases the GIL. Thread-safe like the C++ SDK.

    tls: connect with TLS (server started with --tls-cert/--tls-key), verifying its certificate
    and host name; ca_file: PEM file of the CA to trust instead of the system store (implies
    tls). None for both means $OCCHAT_TLS=1 / $OCCHAT_CA, else what the saved session of this
    server used (login() remembers it, like `occhat login --tls`). A certificate that does not
    verify raises ConnectionError "TLS handshake with HOST:PORT failed: ...".

    keepalive_interval: seconds without sending before a ping (0: none); keepalive_timeout:
    seconds after a ping within which the server must show a sign of life, or the connection
    counts as lost (a node that hangs or is cut off: calls raise ConnectionError and events()
    and bots reconnect to the next node), so a dead node is noticed within their sum; 0 turns
    the check off. See the README's "Failover".
    """

    def __init__(self, server: Optional[str] = None, home: Optional[Path] = None, *, connect_timeout: float = 5.0,
                 request_timeout: float = 15.0, tls: Optional[bool] = None, ca_file: Optional[str] = None,
                 keepalive_interval: float = 10.0, keepalive_timeout: float = 10.0):
        self.home: pathlib.Path = resolve_home(home)
        self._server = server or os.environ.get("OCCHAT_SERVER")
        if tls is None and ca_file is None:
            ca_file = os.environ.get("OCCHAT_CA") or None
            if os.environ.get("OCCHAT_TLS", "") not in ("", "0", "false") or ca_file:
                tls = True
            else:
                try:
                    session = load_session(self.home)
                except AuthError:
                    session = None  # reported by the first call that needs the session
                if session and session["tls"] and session["server"] == self.server:
                    tls, ca_file = True, session["ca"] or None
        self.tls: bool = bool(tls) or bool(ca_file)
        self.ca_file: Optional[str] = os.fspath(ca_file) if ca_file else None
        self._raw = _occhat.RawClient(connect_timeout, request_timeout, self.tls, self.ca_file or "",
                                      keepalive_interval=keepalive_interval, keepalive_timeout=keepalive_timeout)

    # ---- connection and session -----------------------------------------------------------

    @property
    def server(self) -> str:
        """The server this client talks to: "HOST:PORT", or a list of nodes "HOST:PORT,HOST:PORT"
        (connected_to says which one the connection uses)."""
        if self._server:
            return self._server
        session = load_session(self.home)
        return str(session["server"]) if session else DEFAULT_SERVER

    @property
    def connected_to(self) -> str:
        """The entry of the server list ("HOST:PORT") the connection uses, or used last; "" before
        the first connection."""
        return self._raw.server()

    @property
    def raw(self) -> "_occhat.RawClient":
        """The underlying C++ SDK client (one method per SDK call)."""
        return self._raw

    def _connect(self) -> None:
        if not self._raw.connected():
            self._raw.connect(self.server)

    def _logged_in(self) -> "_occhat.RawClient":
        if not self._raw.connected() or self._raw.current_user() is None:
            self.resume()  # no saved session: AuthError before any attempt to connect
        return self._raw

    def close(self) -> None:
        """Closes the connection (the saved session stays)."""
        self._raw.disconnect()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(self, email: str, nick: str, password: str) -> int:
        """Creates an account and returns its new id. Does not log in."""
        self._connect()
        return self._raw.register_user(email, nick, password)

    def login(self, user_id: Id, password: str, announce_presence: bool = False) -> "_occhat.UserInfo":
        """Logs in and saves the session in home/session.json (shared with the CLI).
        The session saved before (for this server) and tokens a logout could not revoke are
        revoked by the same login, like `occhat login`.
        Raises AuthError (wrong id or password), RateLimitedError."""
        if self._raw.connected() and self._raw.current_user() is not None:
            self._raw.disconnect()  # a session belongs to its connection: start a fresh one
        self._connect()
        server = self.server
        revoke = pending_revocations(self.home, server)
        try:
            saved = load_session(self.home)
        except AuthError:
            saved = None
        if saved and saved["server"] == server:
            revoke.append(saved["token"])
        session = self._raw.login(_id(user_id), password, announce_presence, revoke)
        save_session(self.home, server, session.user.id, session.token, self.tls, self.ca_file or "")
        clear_pending_revocations(self.home, server)
        return session.user

    def resume(self, announce_presence: bool = False) -> "_occhat.UserInfo":
        """Logs this connection in with the saved session (e.g. the CLI's `occhat login`).
        announce_presence=True makes you count as online (bots). Raises AuthError when there is
        no saved session or its token was revoked."""
        session = load_session(self.home)
        if session is None:
            raise AuthError("not logged in (run: occhat login ID)", "unauthenticated")
        if self._raw.connected() and self._raw.current_user() is not None:
            self._raw.disconnect()
        self._connect()
        return self._raw.resume(session["token"], announce_presence).user

    def logout(self, all: bool = False) -> None:
        """Revokes the session on the server (all=True: every session of yours, live connections
        closed) and deletes session.json (deleted even when the server cannot be reached: then the
        token is revoked by the next login, and the ConnectionError is raised afterwards)."""
        session = load_session(self.home)
        try:
            if all:
                self._logged_in().logout_all()
            else:
                self._logged_in().logout()
        except ConnectionError:
            if session:
                add_pending_revocation(self.home, session["server"], session["token"])
            raise
        finally:
            remove_session(self.home)

    # ---- your own account -----------------------------------------------------------------

    def change_password(self, current_password: str, new_password: str) -> None:
        """Changes the password; your other sessions are revoked (their connections closed).
        Raises AuthError (wrong current password), InvalidArgumentError, RateLimitedError."""
        self._logged_in().change_password(current_password, new_password)

    def set_nick(self, nick: str) -> "_occhat.UserInfo":
        """Changes your nick; returns your record. Raises InvalidArgumentError."""
        return self._logged_in().set_nick(nick)

    def set_discoverable(self, discoverable: bool) -> "_occhat.UserInfo":
        """Lets others find you by nick (find_users), or stops it (the default)."""
        return self._logged_in().set_discoverable(bool(discoverable))

    def sessions(self) -> List["_occhat.SessionInfo"]:
        """Your sessions, oldest first (.id, .client_name, .last_address, .created_ms,
        .last_seen_ms, .current)."""
        return self._logged_in().sessions()

    def end_session(self, session_id: str) -> None:
        """Ends one of your sessions by its id (see sessions()). Raises NotFoundError."""
        self._logged_in().end_session(session_id)

    def delete_account(self, password: str) -> None:
        """Deletes your account for good (see the README's delete-account) and session.json.
        Raises AuthError (wrong password)."""
        self._logged_in().delete_account(password)
        remove_session(self.home)

    def find_users(self, nick: str, prefix: bool = True) -> List["_occhat.UserInfo"]:
        """Users who let themselves be found, by nick: starting with `nick` (prefix=True) or
        equal to it; ASCII case ignored; at most 20. Raises RateLimitedError."""
        return self._logged_in().find_users(nick, prefix)

    def whoami(self) -> "_occhat.UserInfo":
        """The logged-in user (id, nick, email); checks the session with the server."""
        return _user_of(self._logged_in())

    def find(self, user_id: Id) -> "_occhat.UserInfo":
        """Looks a user up by id. Raises NotFoundError."""
        return self._logged_in().find_user(_id(user_id))

    # ---- friends --------------------------------------------------------------------------

    def add_friend(self, user_id: Id) -> "_occhat.AddFriendResult":
        """Sends a friend request, or accepts theirs. result.state: 'requested', 'friends' or
        'already_friends'. Raises NotFoundError, InvalidArgumentError (yourself)."""
        return self._logged_in().add_friend(_id(user_id))

    def remove_friend(self, user_id: Id) -> None:
        """Ends a friendship or withdraws/declines a request. Raises NotFoundError."""
        self._logged_in().remove_friend(_id(user_id))

    def requests(self) -> "_occhat.FriendRequests":
        """Pending friend requests: .incoming and .outgoing, oldest first."""
        return self._logged_in().friend_requests()

    def friends(self) -> List["_occhat.Friend"]:
        """Your friends, online ones first."""
        return self._logged_in().friends()

    # ---- messages -------------------------------------------------------------------------

    def send(self, to: Id, text: str, client_id: Optional[str] = None) -> int:
        """Sends `text` to a friend; returns the message id once the server stored it.
        client_id makes a retry safe (the same id returns the original message's id).
        Raises NotAllowedError (not a friend), NotFoundError, InvalidArgumentError."""
        return self._logged_in().send_message(_id(to), text, client_id or "").id

    def inbox(self, peek: bool = False, limit: Optional[int] = None) -> List["_occhat.Event"]:
        """Every pending inbox event (messages, friend requests, files, room events), oldest first, skipping
        those this home already handled; then marks them handled (cursor + server ack) unless
        peek=True. Like `occhat inbox`."""
        raw = self._logged_in()
        cursor = Cursor(self.home, _user_of(raw).id)
        events: List["_occhat.Event"] = []
        after = cursor.value
        while limit is None or len(events) < limit:
            want = 1000 if limit is None else min(1000, limit - len(events))
            page = raw.fetch_inbox(after, want)
            events.extend(e for e in page.events if e.seq > cursor.value)
            if not page.events or not page.more:
                break
            after = page.events[-1].seq
        if not peek and events:
            cursor.advance(events[-1].seq)
            raw.ack(events[-1].seq)
        return events

    def ack(self, up_to_seq: int) -> None:
        """Marks every inbox event with seq <= up_to_seq handled (server and this home's cursor)."""
        raw = self._logged_in()
        Cursor(self.home, _user_of(raw).id).advance(int(up_to_seq))
        raw.ack(int(up_to_seq))

    def history(self, peer: Id, limit: int = 50, before: Id = 0) -> List["_occhat.Message"]:
        """Messages between you and `peer`, oldest first, at most `limit` (1..500), older than
        message id `before` (0: the newest). Page back with before=messages[0].id. Reading the
        newest page marks the conversation read (Friend.unread)."""
        return self._logged_in().history(_id(peer), int(limit), _id(before)).messages

    def mark_read(self, peer: Optional[Id] = None, *, room: Optional[Id] = None, up_to: Id = 0) -> None:
        """Marks the conversation with `peer`, or `room`, read up to message id `up_to` (0: all
        of it), so Friend.unread / Room.unread count only what comes after; for every device of
        yours. Raises NotFoundError (no such user), NotAllowedError (not a member of the room)."""
        if (peer is None) == (room is None):
            raise TypeError("mark_read needs exactly one of peer and room=")
        if room is not None:
            self._logged_in().mark_room_read(_id(room), _id(up_to))
        else:
            self._logged_in().mark_read(_id(peer if peer is not None else 0), _id(up_to))

    # ---- files ----------------------------------------------------------------------------

    def upload(self, to: Id, path: Path, name: Optional[str] = None, progress: Progress = None) -> "_occhat.UploadResult":
        """Sends the file at `path` to a friend (resumes an interrupted upload of the same bytes).
        progress(done, total) is called as bytes move. Returns once the server verified it."""
        return self._logged_in().upload_file(_id(to), os.fspath(path), name, progress)

    def files(self, peer: Id = 0) -> List["_occhat.FileInfo"]:
        """Files exchanged with `peer` (0: anyone), oldest first."""
        return self._logged_in().files(_id(peer))

    def files_page(self, peer: Id, before: Id = 0, limit: int = 0) -> "_occhat.FilePage":
        """A page of that history: at most `limit` files (0: as many as fit in one answer, about
        900) listed before file `before` (0: the newest); `.more` when older ones exist."""
        return self._logged_in().files_page(_id(peer), _id(before), int(limit))

    def cancel_upload(self, upload_id: Id) -> None:
        """Cancels your own unfinished upload (a FileInfo in state "uploading" that you send):
        the server deletes its bytes and frees its space and your quota slot. Raises
        NotFoundError (unknown, finished or not yours); occhat.Error with code "conflict" while it
        is being written."""
        self._logged_in().cancel_upload(_id(upload_id))

    def cancel_upload_file(self, to: Id, path: Path) -> int:
        """Cancels the unfinished upload of the file at `path` to `to` (the one upload() would
        resume) and returns its id. Raises NotFoundError if there is none."""
        return self._logged_in().cancel_upload_file(_id(to), os.fspath(path))

    def cancel_room_upload_file(self, room: Id, path: Path) -> int:
        """Cancels your own unfinished upload of the file at `path` to a room (the one
        upload_room_file() would resume) and returns its id. Raises NotFoundError if there is
        none (another member's upload of the same bytes is not yours)."""
        return self._logged_in().cancel_room_upload_file(_id(room), os.fspath(path))

    def file_info(self, file_id: Id) -> "_occhat.FileInfo":
        """One file's record. Raises NotFoundError, NotAllowedError."""
        return self._logged_in().file_info(_id(file_id))

    def download(self, file_id: Id, path: Optional[Path] = None, resume: bool = False, progress: Progress = None, *,
                 overwrite: bool = False) -> "_occhat.DownloadResult":
        """Downloads a file to `path` (None: its name, made safe, in the current directory; a
        directory: that name inside it). The bytes are verified against the SHA-256 before the
        file appears. resume=True continues an interrupted download. Raises IntegrityError.

        An existing `path` (a symlink too, even a dangling one) raises InvalidArgumentError
        "PATH exists (use overwrite=True or another path)" before anything is fetched, like the
        CLI without --force; overwrite=True replaces it (a symlink is replaced, never written
        through). A symlink, hard link, FIFO or another user's file at PATH.part or
        PATH.part.meta is never followed or reused: InvalidArgumentError "cannot write
        PATH.part: it is a symbolic link (not followed, left as it is; ...)"."""
        raw = self._logged_in()
        if path is None or os.path.isdir(path):
            name = _safe_local_name(raw.file_info(_id(file_id)).name)
            path = os.path.join(path or ".", name)
        path = os.fspath(path)
        if not overwrite and os.path.lexists(path):  # lexists: a dangling link occupies the name
            raise InvalidArgumentError(f"{path} exists (use overwrite=True or another path)", "invalid_argument")
        return raw.download_file(_id(file_id), path, resume, progress)

    # ---- rooms ----------------------------------------------------------------------------
    # Every call naming a room raises NotAllowedError "you are not a member of room ID" when you
    # are not in it (the same whether or not it exists).

    def create_room(self, name: str) -> "_occhat.Room":
        """Creates a room (name: 1..64 characters) with you as its owner and only member.
        Raises InvalidArgumentError (bad name)."""
        return self._logged_in().create_room(name)

    def invite_to_room(self, room: Id, users: Union[Id, Iterable[Id]]) -> None:
        """Invites one friend or several (any member may); members and users already invited are
        skipped. Raises NotAllowedError (not your friend), occhat.Error with code
        "resource_exhausted" (the room would be over the server's member limit)."""
        if isinstance(users, int) or hasattr(users, "id"):
            ids = [_id(users)]  # type: ignore[arg-type]  # one id
        else:
            ids = [_id(u) for u in users]
        self._logged_in().invite_to_room(_id(room), ids)

    def join_room(self, room: Id) -> "_occhat.Room":
        """Accepts an invitation. Raises NotAllowedError without one."""
        return self._logged_in().join_room(_id(room))

    def decline_room(self, room: Id) -> None:
        """Declines an invitation (the inviter gets a 'declined' room event)."""
        self._logged_in().decline_room(_id(room))

    def leave_room(self, room: Id) -> None:
        """Leaves a room. The owner must transfer_room() or delete_room() first (occhat.Error with
        code "conflict") unless they are its only member: then leaving deletes it."""
        self._logged_in().leave_room(_id(room))

    def remove_from_room(self, room: Id, user: Id) -> None:
        """Owner: removes anyone; admin: removes plain members."""
        self._logged_in().remove_from_room(_id(room), _id(user))

    def set_room_admin(self, room: Id, user: Id, admin: bool = True) -> None:
        """Owner only: makes a member an admin, or (admin=False) a plain member again."""
        self._logged_in().set_room_admin(_id(room), _id(user), bool(admin))

    def transfer_room(self, room: Id, new_owner: Id) -> None:
        """Owner only: hands ownership to another member; you become an admin."""
        self._logged_in().transfer_room(_id(room), _id(new_owner))

    def rename_room(self, room: Id, name: str) -> None:
        """Owner and admins."""
        self._logged_in().rename_room(_id(room), name)

    def delete_room(self, room: Id) -> None:
        """Owner only: deletes the room with its history and files."""
        self._logged_in().delete_room(_id(room))

    def rooms(self) -> "_occhat.RoomList":
        """Your rooms (.rooms, by name) and pending invitations (.invites, with .invited_by)."""
        return self._logged_in().rooms()

    def room_members(self, room: Id) -> List["_occhat.RoomMember"]:
        """Every member, by id."""
        return self._logged_in().room_members(_id(room))

    def send_room_message(self, room: Id, text: str, client_id: Optional[str] = None) -> int:
        """Sends `text` to every member of a room; returns the message id, like send(). Name
        members as @ID in the text to mention them (their events list them in .mentions)."""
        return self._logged_in().send_room_message(_id(room), text, client_id or "").id

    def room_history(self, room: Id, limit: int = 50, before: Id = 0) -> List["_occhat.Message"]:
        """The room's messages since you joined, oldest first; paged like history()."""
        return self._logged_in().room_history(_id(room), int(limit), _id(before)).messages

    def upload_room_file(self, room: Id, path: Path, name: Optional[str] = None,
                         progress: Progress = None) -> "_occhat.UploadResult":
        """Sends the file at `path` to a room (every member is notified), like upload()."""
        return self._logged_in().upload_room_file(_id(room), os.fspath(path), name, progress)

    def room_files(self, room: Id) -> List["_occhat.FileInfo"]:
        """The room's files (every member's), oldest first."""
        return self._logged_in().room_files(_id(room))

    def room_files_page(self, room: Id, before: Id = 0, limit: int = 0) -> "_occhat.FilePage":
        """A page of the room's files, like files_page()."""
        return self._logged_in().room_files_page(_id(room), _id(before), int(limit))

    # ---- blocking -------------------------------------------------------------------------

    def block_user(self, user_id: Id) -> None:
        """Blocks a user: ends any friendship or request with them; from now on their friend
        requests, room invitations and room messages never reach you (they are not told).
        Idempotent. Raises NotFoundError, InvalidArgumentError (yourself)."""
        self._logged_in().block_user(_id(user_id))

    def unblock_user(self, user_id: Id) -> None:
        """Lifts a block (idempotent)."""
        self._logged_in().unblock_user(_id(user_id))

    def blocked_users(self) -> List["_occhat.UserInfo"]:
        """The users you block, by id."""
        return self._logged_in().blocked_users()

    # ---- events ---------------------------------------------------------------------------

    def events(self, timeout: Optional[float] = None, reconnect: bool = False,
               announce_presence: bool = True, *, backoff: Optional[Sequence[float]] = None) -> "EventStream":
        """Iterates over pushed events: 'message', 'sent', 'friend_request', 'file', 'room', 'presence'
        (the first presence events, .snapshot True, say which friends are online now).

        Each sequenced event counts as handled when you take the next one or leave the loop: the
        home's cursor advances then (so a restarted program never sees it again) and the server
        is acknowledged in batches. Events at or below the cursor are skipped. timeout: stop
        after that many seconds without an event (None: never). reconnect: on a lost connection
        retry with backoff instead of raising ConnectionError: the n-th failed attempt in a row
        waits backoff[n-1] seconds (the last value repeats; default EventStream.BACKOFF, 0.5,
        1, 2, 4, 8 s), however often the iterator is resumed meanwhile (e.g. by short timeouts).
        A server that cannot be reached at the first subscription raises ConnectionError all
        the same, and no saved session raises AuthError, at once. Logs in with the saved
        session (announcing presence) if not logged in yet."""
        return EventStream(self, timeout, reconnect, announce_presence, backoff)


class EventStream(Iterator["_occhat.Event"]):
    """The iterator returned by Client.events(); close() (or leaving a `with` block) marks the
    last taken event handled and flushes the acknowledgement."""

    POLL = 0.1          # seconds per wait in C++, so Ctrl-C is noticed promptly
    ACK_QUIET = 0.2     # acknowledge after this long without events...
    ACK_BATCH = 256     # ...or after this many handled events
    BACKOFF = (0.5, 1, 2, 4, 8)

    def __init__(self, client: Client, timeout: Optional[float], reconnect: bool, announce_presence: bool,
                 backoff: Optional[Sequence[float]] = None):
        self._client = client
        self._raw = client.raw
        self._timeout = timeout
        self._reconnect = reconnect
        self._announce = announce_presence
        self._cursor: Optional[Cursor] = None
        self._subscribed = False
        self._ever_subscribed = False
        self._taken = 0
        self._acked = 0
        self._handled_since_ack = 0
        self._quiet_since = time.monotonic()
        self._failures = 0
        self._backoff = tuple(backoff or self.BACKOFF)
        self._retry_at = 0.0  # monotonic time before which no reconnection is attempted
        self._closed = False
        self._announced = False

    @property
    def cursor(self) -> int:
        """The highest seq handled so far (persisted in home/cursor)."""
        return self._cursor.value if self._cursor else 0

    @property
    def user_id(self) -> int:
        """The user whose events these are (0 before the first event)."""
        return self._cursor.user_id if self._cursor else 0

    def __iter__(self) -> "EventStream":
        return self

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __next__(self) -> "_occhat.Event":
        if self._closed:
            raise StopIteration
        self._commit_taken()
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            if not self._subscribed and not self._subscribe(deadline):
                self._flush_ack()
                raise StopIteration
            wait = self.POLL if deadline is None else max(0.0, min(self.POLL, deadline - time.monotonic()))
            event = self._raw.next_event(wait)
            now = time.monotonic()
            if event is None:
                if self._handled_since_ack and now - self._quiet_since >= self.ACK_QUIET:
                    self._flush_ack()
                if deadline is not None and now >= deadline:
                    self._flush_ack()
                    raise StopIteration
                continue
            self._quiet_since = now
            if event.type == "disconnected":
                self._subscribed = False
                self._announced = False
                if not self._reconnect:
                    raise ConnectionError("connection to the server lost", "unavailable")
                continue
            if event.seq and self._cursor is not None:
                if event.seq <= self._cursor.value:
                    self._handled_since_ack += 1  # already handled: just make sure it is acked
                    continue
                self._cursor.prepare(event.seq)
                self._taken = event.seq
            return event

    def close(self) -> None:
        """Marks the last taken event handled and acknowledges everything handled."""
        if self._closed:
            return
        self._commit_taken()
        self._flush_ack()
        self._closed = True

    def _forget_taken(self) -> None:
        """The last taken event was not handled (interrupted): it comes again next time."""
        self._taken = 0

    def _commit_taken(self) -> None:
        if self._taken and self._cursor is not None:
            self._cursor.commit()
            self._taken = 0
            self._handled_since_ack += 1
            if self._handled_since_ack >= self.ACK_BATCH:
                self._flush_ack()

    def _flush_ack(self) -> None:
        if self._cursor is None or self._cursor.value <= self._acked or not self._raw.connected():
            self._handled_since_ack = 0
            return
        try:
            self._raw.ack(self._cursor.value)
            self._acked = self._cursor.value
        except Error:
            pass  # acked after the next reconnect; the cursor already prevents repeats
        self._handled_since_ack = 0

    def _subscribe(self, deadline: Optional[float]) -> bool:
        """Logs in (if needed) and subscribes from the cursor. With reconnect, a failed attempt
        is retried on the backoff schedule, kept across calls: False when the deadline comes
        before the next attempt is due (or before one succeeds)."""
        while True:
            if not self._sleep_until(self._retry_at, deadline):
                return False
            try:
                user = self._raw.current_user() if self._raw.connected() else None
                # The connection's login may not announce presence (e.g. after whoami()): a
                # stream that should announce it logs in again with the saved session.
                if user is None or (self._announce and not self._announced):
                    user = self._client.resume(announce_presence=self._announce)
                    self._announced = self._announce
                if self._cursor is None or self._cursor.user_id != user.id:
                    self._cursor = Cursor(self._client.home, user.id)
                    self._acked = 0
                self._raw.subscribe(self._cursor.value)
                self._subscribed = self._ever_subscribed = True
                if self._failures:
                    if "," in self._client.server:  # a list of nodes: say which one took over
                        log.warning("occhat: reconnected to %s", self._raw.server())
                    else:
                        log.warning("occhat: reconnected")
                self._failures = 0
                return True
            except ConnectionError:
                if not (self._reconnect and self._ever_subscribed):
                    raise  # only a lost connection is retried, not a server never reached
                delay = self._backoff[min(self._failures, len(self._backoff) - 1)]
                self._failures += 1
                self._retry_at = time.monotonic() + delay
                log.warning("occhat: connection lost; reconnecting in %s s", delay)

    def _sleep_until(self, when: float, deadline: Optional[float]) -> bool:
        """Sleeps (in POLL slices, so Ctrl-C is noticed) until monotonic time `when`; False if
        the deadline comes first."""
        while True:
            now = time.monotonic()
            if now >= when:
                return True
            if deadline is not None and now >= deadline:
                return False
            end = when if deadline is None else min(when, deadline)
            time.sleep(min(self.POLL, end - now))
