"""`occhat shell` with rooms: /rooms, /chat ROOM (history, then typed lines go to the room),
/members with who is online, room messages and invitations printed live."""

import re

from conftest import TIME_TEXT
from test_rooms import Room, four, room_messages  # noqa: F401  (four is a fixture)
from test_shell import Shell, nl


def test_shell_room_chat_members_and_invitation(server, four):
    a, b, c, _ = four
    room = Room(a, "team", [b])
    [earlier] = b.jsonl("send", "--room", room.id, "before the shell")
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send("/rooms\r")
        # bob wrote "before the shell": unread for alice until she opens the room.
        shell.expect(rf"rooms:{nl()}  {room.id}  team  owner  2 members  \(1 unread\){nl()}invitations:{nl()}  \(none\)")

        shell.send(f"/chat {room.id}\r")
        shell.expect(rf"#{earlier['id']} \[{TIME_TEXT}\] bob \({b.id}\): before the shell")
        shell.expect(re.escape(f"[#{room.id} team]> "))

        shell.send("hello room\r")
        shell.send("/members\r")
        lines = sorted([f"  {a.id}  alice  owner  online", f"  {b.id}  bob  member  offline"])  # by id
        shell.expect(rf"2 members, 1 online:{nl()}{lines[0]}{nl()}{lines[1]}")
        # (b's inbox also has b's own room message: every member gets a room's messages.)
        texts = [m["text"] for m in room_messages(b.jsonl("inbox"), room.id) if m["from"] == a.id]
        assert texts == ["hello room"], texts

        b.ok("send", "--room", room.id, "answer from bob")
        shell.expect(rf"\[{TIME_TEXT}\] \[#{room.id} team\] bob \({b.id}\): answer from bob")
        # The server echoes our own room message into our inbox (for other devices); the shell,
        # where the typed line is on screen already, does not print it again.
        assert not [l for l in shell.screen() if f"alice ({a.id}): hello room" in l], shell.screen()[-12:]

        # An invitation shows how to join; /join accepts it and opens the room.
        other = Room(c, "elsewhere")
        c.ok("room", "invite", other.id, a.id)
        shell.expect(re.escape(f"carol ({c.id}) invited you to [#{other.id} elsewhere]; "
                               f"join with: occhat room join {other.id}"))
        shell.send(f"/join {other.id}\r")
        shell.expect(re.escape(f"[#{other.id} elsewhere]> "))
        shell.send("/chat\r")  # leaves the room: the plain prompt again
        assert shell.screen()[-1] == ">", shell.screen()[-5:]
        assert shell.quit() == 0
    finally:
        shell.close()
    assert a.ok("inbox") == ""
