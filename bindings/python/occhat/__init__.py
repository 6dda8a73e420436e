"""occhat — Python bindings of the occhat chat SDK, and bots.

    import occhat
    client = occhat.Client()            # server 127.0.0.1:7878, home ~/.occhat (like the CLI)
    client.login(482913, "password")    # or client.resume() after `occhat login`
    client.send(654321, "hello")        # an id, or anything with .id (event.sender, a Room, ...)
    room = client.create_room("team")   # rooms: invite_to_room, send_room_message, ...
    for event in client.events():       # each event handled exactly once per home
        print(event)

See occhat.Bot for handlers with decorators, occhat.aio for asyncio (Client, Bot) and
occhat.testing for testing a bot against a real server. Every blocking call releases the GIL.
"""

from ._errors import (AuthError, ConnectionError, Error, IntegrityError, InvalidArgumentError,
                      NotAllowedError, NotFoundError, RateLimitedError)
from ._occhat import (AddFriendResult, DownloadResult, Event, FileInfo, FilePage, Friend, FriendRequest,
                      FriendRequests, HistoryPage, InboxPage, Message, RawClient, Room, RoomEvent, RoomList,
                      RoomMember, RoomRef, SendResult, EventPipe, Session, UploadResult, UserInfo)
from ._client import DEFAULT_SERVER, Client, EventStream, HasId, Id
from ._bot import Bot
from ._handlers import conversation_of, parse_command
from . import aio

__version__ = "0.1.0"

__all__ = [
    "Client", "EventStream", "Bot", "DEFAULT_SERVER", "Id", "HasId",
    "Error", "AuthError", "NotFoundError", "NotAllowedError", "RateLimitedError", "IntegrityError",
    "ConnectionError", "InvalidArgumentError",
    "UserInfo", "Session", "Friend", "FriendRequest", "FriendRequests", "AddFriendResult", "Message",
    "SendResult", "HistoryPage", "FileInfo", "FilePage", "UploadResult", "DownloadResult", "Event", "InboxPage",
    "Room", "RoomList", "RoomMember", "RoomEvent", "RoomRef",
    "RawClient", "EventPipe", "conversation_of", "parse_command", "aio",
]
