"""The handler registry shared by occhat.Bot and occhat.aio.Bot: the decorators, command
parsing, and which conversation an event belongs to."""

from typing import Callable, Dict, Generic, List, Optional, Tuple, TypeVar

from ._occhat import Event

H = TypeVar("H", bound=Callable[..., object])  # a handler: fn(event)
C = TypeVar("C", bound=Callable[..., object])  # a command handler: fn(event, args)


def parse_command(text: Optional[str]) -> Optional[Tuple[str, str]]:
    """("name", "args") for a message "/name args..." (args stripped; "" when there are none),
    else None. The name ends at the first whitespace, so "/roll\\n2d6" is a command too."""
    if not text or not text.startswith("/") or text[1:2].isspace():
        return None
    parts = text[1:].split(None, 1)
    if not parts:
        return None
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def conversation_of(event: Event) -> Tuple[str, int]:
    """The conversation an event belongs to: ("room", ID) for anything in or about a room, else
    ("user", ID) of the other user. occhat.aio.Bot runs one conversation's handlers in order."""
    if event.room is not None:
        return "room", event.room.id
    if event.sender is not None:
        return "user", event.sender.id
    return "user", event.user.id if event.type == "presence" else 0


class HandlerRegistry(Generic[H, C]):
    """The decorators of a bot: on(type), on_message, on_command(name), on_room, on_presence,
    on_request, on_file. Handlers of one event type run in the order they were registered."""

    def __init__(self) -> None:
        self._handlers: Dict[str, List[H]] = {
            "message": [], "presence": [], "friend_request": [], "file": [], "room": []}
        self._commands: Dict[str, List[C]] = {}

    def on(self, event_type: str) -> Callable[[H], H]:
        """Decorator for handlers of `event_type` ('message', 'presence', 'friend_request',
        'file', 'room', or a type added by a later server)."""
        def register(fn: H) -> H:
            self._handlers.setdefault(event_type, []).append(fn)
            return fn
        return register

    def on_message(self, fn: H) -> H:
        """Decorator: fn(event) for each message, 1:1 or in a room (commands included);
        event.sender, event.text, event.message, event.room (None for 1:1), event.mentions."""
        return self.on("message")(fn)

    def on_command(self, name: str) -> Callable[[C], C]:
        """Decorator: fn(event, args) for each message "/NAME ARGS", 1:1 or in a room. args is
        the rest of the text, stripped ("" for a bare "/NAME"). on_message handlers see the
        message too; bot.reply(event, ...) answers where it came from."""
        def register(fn: C) -> C:
            self._commands.setdefault(name, []).append(fn)
            return fn
        return register

    def on_room(self, fn: H) -> H:
        """Decorator: fn(event) for each room membership or settings change: event.room_event
        (.kind 'invited', 'joined', 'left', 'removed', 'role_changed', 'renamed', 'deleted',
        'declined'; .actor, .subject, .role) and event.room. Accept an invitation with
        bot.client.join_room(event.room)."""
        return self.on("room")(fn)

    def on_presence(self, fn: H) -> H:
        """Decorator: fn(event) when a friend comes online or goes offline (event.user, .online)."""
        return self.on("presence")(fn)

    def on_request(self, fn: H) -> H:
        """Decorator: fn(event) for a friend request (event.sender; event.accepted=True when
        they accepted yours). Accept with bot.client.add_friend(event.sender)."""
        return self.on("friend_request")(fn)

    def on_file(self, fn: H) -> H:
        """Decorator: fn(event) for a received file (event.file: FileInfo). Fetch it with
        bot.client.download(event.file, path)."""
        return self.on("file")(fn)

    def _calls(self, event: Event) -> List[Tuple[Callable[..., object], Tuple[object, ...]]]:
        """The handlers an event goes to, with their arguments, in order."""
        calls: List[Tuple[Callable[..., object], Tuple[object, ...]]] = [
            (h, (event,)) for h in self._handlers.get(event.type, ())]
        command = parse_command(event.text) if event.type == "message" else None
        if command:
            calls += [(h, (event, command[1])) for h in self._commands.get(command[0], ())]
        return calls
