"""Types of the `_occhat` extension (re-exported by `occhat`)."""

import datetime
from typing import Callable, List, Literal, Optional

Progress = Optional[Callable[[int, int], None]]

class UserInfo:
    id: int
    nick: str
    email: str  # empty unless it is your own record
    discoverable: bool  # your own record only: others may find you by nick

class Session:
    user: UserInfo
    token: str  # secret
    revoked_sessions: int  # login: how many of revoke_tokens were live sessions

class SessionInfo:
    id: str  # 12 hex digits, not secret
    client_name: str
    last_address: str
    created_ms: int
    last_seen_ms: int
    current: bool  # this connection's session

class Friend:
    id: int
    nick: str
    online: bool
    unread: int  # messages from them after your read marker (at most 9999)

class FriendRequest:
    user: UserInfo
    id: int
    nick: str
    time_ms: int
    time: datetime.datetime

class FriendRequests:
    incoming: List[FriendRequest]
    outgoing: List[FriendRequest]

class AddFriendResult:
    state: str  # "requested" | "friends" | "already_friends"
    user: UserInfo

RoomRole = Literal["member", "admin", "owner"]

class RoomRef:
    id: int  # room ids are 1000000 and up
    name: str

class Room:
    id: int
    name: str
    role: RoomRole  # yours (an invitation: the role on joining)
    members: int
    unread: int  # RoomList.rooms: messages from others after your read marker; 0 for an invitation
    owner: int
    created_ms: int
    created: datetime.datetime
    invited_by: Optional[UserInfo]  # only in RoomList.invites

class RoomList:
    rooms: List[Room]  # yours, by name then id
    invites: List[Room]  # invitations you have not answered

class RoomMember:
    id: int
    nick: str
    role: RoomRole
    online: bool
    joined_ms: int
    joined: datetime.datetime

class RoomEvent:
    # "invited" (actor invited you) | "joined" | "left" | "removed" (actor removed subject) |
    # "role_changed" (subject now has role) | "renamed" (room.name is the new name) | "deleted" |
    # "declined" (subject declined your invitation) | "unknown"
    kind: str
    room: RoomRef
    actor: Optional[UserInfo]
    subject: Optional[UserInfo]
    role: RoomRole  # role_changed

class Message:
    id: int
    sender: int
    sender_nick: str
    to: int  # 0 for a room message
    to_nick: str  # in a "sent" event of a 1:1 message: the recipient's nick; "" otherwise
    text: str
    time_ms: int
    time: datetime.datetime
    room: Optional[RoomRef]  # set for a room message
    mentions: List[int]  # room members named as @ID in the text, in order of first mention

class SendResult:
    id: int
    time_ms: int
    duplicate: bool

class HistoryPage:
    messages: List[Message]
    more: bool

class FilePage:
    files: List[FileInfo]  # oldest first
    more: bool  # older files exist: ask again with before_id=files[0].id

class FileInfo:
    id: int
    name: str  # display text chosen by the sender, never a safe path
    size: int
    sha256: str
    sender: int
    recipient: int  # 0 for a room file
    sender_nick: str
    state: str  # "available" | "uploading"
    time_ms: int
    time: datetime.datetime
    room: Optional[RoomRef]  # set for a file sent to a room

class UploadResult:
    file: FileInfo
    resumed_from: int
    bytes_sent: int

class DownloadResult:
    file: FileInfo
    path: str
    resumed_from: int
    bytes_received: int

class Event:
    type: str  # "message" | "sent" | "friend_request" | "file" | "room" | "presence" | "disconnected" | "unknown"
    seq: int  # 0 outside the inbox (presence, disconnected)
    time_ms: int
    time: datetime.datetime
    message: Optional[Message]
    file: Optional[FileInfo]
    user: UserInfo
    sender: Optional[UserInfo]  # message, file, friend_request; sent: you
    text: Optional[str]  # message, sent
    room: Optional[RoomRef]  # a room message's or room file's room; the room of a room event
    mentions: List[int]  # message: user ids named as @ID (room messages); [] otherwise
    room_event: Optional[RoomEvent]  # room
    online: bool  # presence
    snapshot: bool  # presence: one of the events a subscription starts with (friends online then)
    accepted: bool  # friend_request

class InboxPage:
    events: List[Event]
    more: bool

class EventPipe:
    """Hands a RawClient's pushed events to an asyncio loop (occhat.aio uses it): installs the
    SDK's event handler, which queues each event and makes fileno() readable."""
    def __init__(self, client: RawClient) -> None: ...
    def fileno(self) -> int: ...
    def take(self) -> List[Event]: ...
    def close(self) -> None: ...

class RawClient:
    """The C++ SDK's occhat::Client; every blocking method releases the GIL. Ids are plain ints
    here (occhat.Client also takes anything with an .id: occhat.Id)."""
    def __init__(self, connect_timeout: float = 5.0, request_timeout: float = 15.0, tls: bool = False,
                 tls_ca_file: str = "", tls_server_name: str = "", keepalive_interval: float = 10.0,
                 keepalive_timeout: float = 10.0) -> None: ...
    def connect(self, server: str) -> None: ...
    def disconnect(self) -> None: ...
    def connected(self) -> bool: ...
    def server(self) -> str: ...
    def register_user(self, email: str, nick: str, password: str) -> int: ...
    def login(self, user_id: int, password: str, announce_presence: bool = False,
              revoke_tokens: List[str] = ...) -> Session: ...
    def resume(self, token: str, announce_presence: bool = False) -> Session: ...
    def logout(self) -> None: ...
    def find_user(self, user_id: int) -> UserInfo: ...
    def find_users(self, nick: str, prefix: bool = False) -> List[UserInfo]: ...
    def change_password(self, current_password: str, new_password: str) -> None: ...
    def set_nick(self, nick: str) -> UserInfo: ...
    def set_discoverable(self, discoverable: bool) -> UserInfo: ...
    def sessions(self) -> List[SessionInfo]: ...
    def logout_all(self) -> None: ...
    def end_session(self, session_id: str) -> None: ...
    def delete_account(self, password: str) -> None: ...
    def add_friend(self, user_id: int) -> AddFriendResult: ...
    def remove_friend(self, user_id: int) -> None: ...
    def friends(self) -> List[Friend]: ...
    def friend_requests(self) -> FriendRequests: ...
    def send_message(self, to: int, text: str, client_msg_id: str = "") -> SendResult: ...
    def fetch_inbox(self, after_seq: int = 0, limit: int = 1000) -> InboxPage: ...
    def ack(self, up_to_seq: int) -> None: ...
    def subscribe(self, after_seq: int = 0) -> None: ...
    def history(self, peer: int, limit: int = 50, before_id: int = 0) -> HistoryPage: ...
    def mark_read(self, peer: int, up_to_id: int = 0) -> None: ...
    def mark_room_read(self, room: int, up_to_id: int = 0) -> None: ...
    def upload_file(self, to: int, path: str, name: Optional[str] = None, progress: Progress = None) -> UploadResult: ...
    def files(self, peer: int = 0) -> List[FileInfo]: ...
    def files_page(self, peer: int, before_id: int = 0, limit: int = 0) -> FilePage: ...
    def cancel_upload(self, upload_id: int) -> None: ...
    def cancel_upload_file(self, to: int, path: str) -> int: ...
    def cancel_room_upload_file(self, room: int, path: str) -> int: ...
    def file_info(self, file_id: int) -> FileInfo: ...
    # The SDK call: replaces an existing `path` (Client.download checks first, unless
    # overwrite=True); refuses (InvalidArgumentError) a symlink or anything but our own regular
    # file at path.part / path.part.meta, never following it.
    def download_file(self, file_id: int, path: str, resume: bool = False,
                      progress: Progress = None) -> DownloadResult: ...
    def create_room(self, name: str) -> Room: ...
    def invite_to_room(self, room: int, users: List[int]) -> None: ...
    def join_room(self, room: int) -> Room: ...
    def decline_room(self, room: int) -> None: ...
    def leave_room(self, room: int) -> None: ...
    def remove_from_room(self, room: int, user: int) -> None: ...
    def set_room_admin(self, room: int, user: int, admin: bool = True) -> None: ...
    def transfer_room(self, room: int, new_owner: int) -> None: ...
    def rename_room(self, room: int, name: str) -> None: ...
    def delete_room(self, room: int) -> None: ...
    def rooms(self) -> RoomList: ...
    def room_members(self, room: int) -> List[RoomMember]: ...
    def send_room_message(self, room: int, text: str, client_msg_id: str = "") -> SendResult: ...
    def room_history(self, room: int, limit: int = 50, before_id: int = 0) -> HistoryPage: ...
    def upload_room_file(self, room: int, path: str, name: Optional[str] = None,
                         progress: Progress = None) -> UploadResult: ...
    def room_files(self, room: int) -> List[FileInfo]: ...
    def room_files_page(self, room: int, before_id: int = 0, limit: int = 0) -> FilePage: ...
    def block_user(self, user_id: int) -> None: ...
    def unblock_user(self, user_id: int) -> None: ...
    def blocked_users(self) -> List[UserInfo]: ...
    def current_user(self) -> Optional[UserInfo]: ...
    def next_event(self, timeout: float) -> Optional[Event]: ...
