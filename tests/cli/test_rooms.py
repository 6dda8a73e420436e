"""Rooms (issue 13) and blocking through the CLI: `room ...`, `rooms`, `--room` on send, history,
upload and files, room messages and membership events in `inbox` / `watch`, `block`."""

import re

import pytest

from conftest import (TIME_JSON, TIME_TEXT, assert_json_error, assert_one_error_line, befriend, drain_inbox,
                      kill_when, largest_upload_part, make_user, sha256_of, spawn, upload_parts, write_random)

MIB = 1024 * 1024
ROOM_ID = re.compile(r"^\d{7,10}$")


class Room:
    """A room made by `owner` with `members` invited and joined; every inbox drained."""

    def __init__(self, owner, name, members=()):
        out = owner.ok("room", "create", name)
        assert ROOM_ID.match(out.strip()), out
        self.id = int(out)
        self.name = name
        if members:
            owner.ok("room", "invite", self.id, *(m.id for m in members))
            for m in members:
                m.ok("room", "join", self.id)
        for user in (owner, *members):
            drain_inbox(user)


def room_messages(events, room_id):
    return [e for e in events if e["type"] == "message" and (e.get("room") or {}).get("id") == room_id]


def room_events(events, kind=None):
    return [e for e in events if e["type"] == "room" and (kind is None or e["kind"] == kind)]


@pytest.fixture
def four(server, tmp_path):
    """alice (A), bob (B), carol (C), dave (D): A is friends with B and C; D is a stranger."""
    a, b, c, d = (make_user(server, tmp_path, n) for n in ("alice", "bob", "carol", "dave"))
    befriend(a, b)
    befriend(a, c)
    for u in (a, b, c):
        drain_inbox(u)
    return a, b, c, d


def test_room_backlog_reaches_an_offline_member_once_outsiders_are_refused_and_history_survives_restart(
        server, four):
    a, b, c, d = four
    room = Room(a, "team", [b, c])

    # C is offline (no watch) while A and B write.
    texts = [f"message {k}" for k in range(1, 6)]
    for k, text in enumerate(texts):
        (a if k % 2 == 0 else b).ok("send", "--room", room.id, text)

    shown = room_messages(c.jsonl("inbox"), room.id)
    assert [m["text"] for m in shown] == texts
    assert len({m["id"] for m in shown}) == 5
    assert [m["from"] for m in shown] == [a.id, b.id, a.id, b.id, a.id]
    for m in shown:
        assert m["room"] == {"id": room.id, "name": "team"}
        assert m["mentions"] == []
        assert TIME_JSON.match(m["time"])
    # Exactly once: the second run shows none of them again.
    assert room_messages(c.jsonl("inbox"), room.id) == []

    # D is no member: every room request is refused with exit 5.
    for args in (("send", "--room", room.id, "let me in"), ("history", "--room", room.id),
                 ("room", "members", room.id), ("files", "--room", room.id)):
        rc, out, err = d.run(*args)
        assert rc == 5, (args, rc, out, err)
        assert err.startswith("occhat: ") and str(room.id) in err, err
        rc, out, err = d.run(*args, json=True)
        assert_json_error(out, err, "not_allowed", 5)

    # B leaves and gets nothing sent afterwards.
    b.ok("room", "leave", room.id)
    drain_inbox(b)
    a.ok("send", "--room", room.id, "after bob left")
    assert room_messages(b.jsonl("inbox"), room.id) == []
    rc, _, _ = b.run("history", "--room", room.id)
    assert rc == 5
    assert [m["text"] for m in room_messages(c.jsonl("inbox"), room.id)] == ["after bob left"]

    # The room's history survives a restart of the server (same data dir).
    server.restart()
    history = a.jsonl("history", "--room", room.id)
    assert [m["text"] for m in history] == texts + ["after bob left"]
    assert all(m["room"]["id"] == room.id for m in history)


def test_room_create_rooms_and_members_json_fields(server, four):
    a, b, c, _ = four
    created = a.jsonl("room", "create", "design")
    assert len(created) == 1
    assert {"id", "name", "role", "members"} <= set(created[0])
    assert created[0]["name"] == "design" and created[0]["role"] == "owner" and created[0]["members"] == 1
    room_id = created[0]["id"]
    assert room_id >= 1000000

    a.ok("room", "invite", room_id, b.id, c.id)
    # An invitation is listed apart from memberships, marked "invited": true.
    listed = b.jsonl("rooms")
    assert listed == [{"id": room_id, "name": "design", "role": "member", "members": 1, "invited": True,
                       "invited_by": {"id": a.id, "nick": "alice"}}]
    text = b.ok("rooms")
    assert text.startswith("rooms:\n  (none)\ninvitations:\n")
    assert f"occhat room join {room_id}" in text

    joined = b.jsonl("room", "join", room_id)[0]
    assert joined["id"] == room_id and joined["role"] == "member" and joined["members"] == 2
    rooms = b.jsonl("rooms")
    assert [(r["id"], r["name"], r["role"], r["members"], r["invited"]) for r in rooms] == \
        [(room_id, "design", "member", 2, False)]

    members = a.jsonl("room", "members", room_id)
    assert [set(m) for m in members] == [{"id", "nick", "role", "online"}] * 2
    assert sorted((m["id"], m["nick"], m["role"], m["online"]) for m in members) == \
        sorted([(a.id, "alice", "owner", False), (b.id, "bob", "member", False)])
    lines = a.ok("room", "members", room_id).splitlines()
    assert f"{a.id}  alice  owner  offline" in lines


def test_invitation_event_join_hint_and_decline(server, four, watch_factory):
    a, b, c, _ = four
    room = Room(a, "party")
    w = watch_factory(c, json=False)
    a.ok("room", "invite", room.id, c.id)
    line = w.wait_for(lambda l: "invited you" in l)
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\) invited you to \[#{room.id} party\]; "
                        rf"join with: occhat room join {room.id} \(or decline: occhat room decline {room.id}\)",
                        line), line
    w.interrupt()

    c.ok("room", "decline", room.id)
    assert c.jsonl("rooms") == []
    declined = room_events(a.jsonl("inbox"), "declined")
    assert len(declined) == 1
    e = declined[0]
    assert {"version", "type", "seq", "kind", "room", "actor", "subject", "role", "time"} <= set(e)
    assert e["room"] == {"id": room.id, "name": "party"}
    assert e["subject"] == {"id": c.id, "nick": "carol"}
    # Declined means no invitation is left: joining is refused.
    rc, out, err = c.run("room", "join", room.id, json=True)
    assert_json_error(out, err, "not_allowed", 5)


def test_membership_events_in_inbox_json(server, four):
    a, b, c, _ = four
    room = Room(a, "ops", [b])
    a.ok("room", "invite", room.id, c.id)
    invited = room_events(c.jsonl("inbox"), "invited")
    assert len(invited) == 1
    assert invited[0]["actor"] == {"id": a.id, "nick": "alice"}
    assert invited[0]["room"] == {"id": room.id, "name": "ops"}
    c.ok("room", "join", room.id)
    joined = room_events(b.jsonl("inbox"), "joined")
    assert [e["subject"]["id"] for e in joined] == [c.id]
    assert joined[0]["type"] == "room" and joined[0]["role"] == "member"
    text = a.ok("inbox")
    assert f"[#{room.id} ops] carol ({c.id}) joined" in text


def test_admin_owner_rename_delete(server, four):
    a, b, c, _ = four
    room = Room(a, "club", [b, c])

    # A plain member may not rename or remove.
    rc, _, _ = b.run("room", "rename", room.id, "mine")
    assert rc == 5
    rc, _, _ = b.run("room", "remove", room.id, c.id)
    assert rc == 5

    assert a.jsonl("room", "admin", room.id, b.id)[0] == {"ok": True, "room": room.id, "user": b.id, "role": "admin"}
    changed = room_events(b.jsonl("inbox"), "role_changed")
    assert changed and changed[-1]["subject"]["id"] == b.id and changed[-1]["role"] == "admin"

    b.ok("room", "rename", room.id, "the club")
    renamed = room_events(c.jsonl("inbox"), "renamed")
    assert renamed[-1]["room"] == {"id": room.id, "name": "the club"}
    assert [r["name"] for r in a.jsonl("rooms")] == ["the club"]

    a.ok("room", "admin", room.id, b.id, "--off")
    roles = {m["id"]: m["role"] for m in a.jsonl("room", "members", room.id)}
    assert roles == {a.id: "owner", b.id: "member", c.id: "member"}

    # The owner cannot just leave; handing the room on makes them an admin.
    rc, _, _ = a.run("room", "leave", room.id)
    assert rc == 10  # conflict
    a.ok("room", "owner", room.id, c.id)
    roles = {m["id"]: m["role"] for m in a.jsonl("room", "members", room.id)}
    assert roles == {a.id: "admin", b.id: "member", c.id: "owner"}

    a.ok("room", "remove", room.id, b.id)
    removed = room_events(b.jsonl("inbox"), "removed")
    assert removed and removed[-1]["subject"]["id"] == b.id
    rc, _, _ = b.run("history", "--room", room.id)
    assert rc == 5

    rc, _, _ = a.run("room", "delete", room.id)
    assert rc == 5  # only the owner
    assert c.jsonl("room", "delete", room.id)[0] == {"ok": True, "room": room.id}
    assert room_events(a.jsonl("inbox"), "deleted")
    assert a.jsonl("rooms") == []
    rc, _, _ = a.run("send", "--room", room.id, "anyone?")
    assert rc == 5


def test_room_upload_files_and_download_by_another_member(server, four, tmp_path):
    a, b, c, _ = four
    room = Room(a, "share", [b, c])
    path = tmp_path / "report.bin"
    digest = write_random(path, 300_000)

    up = b.jsonl("upload", "--room", room.id, path)[0]
    assert up["room"] == room.id and up["size"] == 300_000 and up["sha256"] == digest

    files = a.jsonl("files", "--room", room.id)
    assert [(f["id"], f["name"], f["sender"], f["room"]) for f in files] == \
        [(up["id"], "report.bin", b.id, {"id": room.id, "name": "share"})]
    notices = [e for e in c.jsonl("inbox") if e["type"] == "file"]
    assert [(n["id"], n["room"]["id"]) for n in notices] == [(up["id"], room.id)]

    out_dir = tmp_path / "dl"
    out_dir.mkdir()
    c.ok("download", up["id"], "-o", out_dir / "got.bin")
    assert sha256_of(out_dir / "got.bin") == digest


def test_mentions_in_json_and_room_lines_in_watch(server, four, watch_factory):
    a, b, c, _ = four
    room = Room(a, "talk", [b, c])
    w = watch_factory(c, json=False)
    a.ok("send", "--room", room.id, f"hi @{b.id} and @{c.id}")
    line = w.wait_for(lambda l: "hi @" in l)
    assert re.fullmatch(rf"\[{TIME_TEXT}\] \[#{room.id} talk\] alice \({a.id}\): hi @{b.id} and @{c.id}", line), line
    w.interrupt()

    m = room_messages(b.jsonl("inbox"), room.id)
    assert len(m) == 1 and m[0]["mentions"] == [b.id, c.id]
    assert m[0]["type"] == "message" and m[0]["from"] == a.id and m[0]["from_nick"] == "alice"


def test_room_text_is_escaped_for_the_terminal_and_bad_names_are_refused(server, four):
    a, b, _, _ = four
    rc, out, err = a.run("room", "create", "evil\x1b[31mred", json=True)
    assert_json_error(out, err, "invalid_argument", 1)
    room = Room(a, "caf\u00e9", [b])
    a.ok("send", "--room", room.id, "x\x1b[31my")
    text = b.ok("inbox")
    assert "\x1b" not in text
    assert f"[#{room.id} caf\u00e9] alice ({a.id}): x\\x1b[31my" in text


def test_usage_errors(server, four):
    a, b, _, _ = four
    rc, out, err = a.run("send", "--room", "123", "hi")
    assert rc == 1 and "room id" in err, err
    rc, out, err = a.run("send", b.id, "--room", "1000000", "hi")
    assert rc == 1 and "not both" in err, err
    rc, out, err = a.run("room")
    assert rc == 1
    rc, out, err = a.run("upload", "--room", "1000000")
    assert rc == 1


def test_block_unblock_blocked(server, four):
    a, b, c, d = four
    assert d.jsonl("block", a.id) == [{"ok": True, "id": a.id, "blocked": True}]
    d.ok("block", a.id)  # idempotent
    assert d.jsonl("blocked") == [{"id": a.id, "nick": "alice"}]
    assert d.ok("blocked") == f"{a.id} alice\n"

    # A's friend request never reaches D (A is not told).
    a.ok("add", d.id)
    assert [e for e in d.jsonl("inbox") if e["type"] == "friend_request"] == []

    # Blocking ends a friendship: B blocks A, A can no longer write to B.
    b.ok("block", a.id)
    rc, _, _ = a.run("send", b.id, "still there?")
    assert rc == 5

    d.ok("unblock", a.id)
    assert d.jsonl("blocked") == []
    rc, out, err = d.run("block", d.id, json=True)
    assert_json_error(out, err, "invalid_argument", 1)
    rc, out, err = d.run("block", "999999", json=True)
    assert_json_error(out, err, "not_found", 4)


def test_invite_needs_friendship_and_join_needs_an_invitation(server, four):
    a, b, _, d = four
    room = Room(a, "closed", [b])
    rc, out, err = a.run("room", "invite", room.id, d.id, json=True)
    assert_json_error(out, err, "not_allowed", 5)
    for args in (("room", "join", room.id), ("room", "decline", room.id), ("room", "leave", room.id),
                 ("room", "rename", room.id, "x"), ("upload", "--room", room.id, __file__)):
        rc, out, err = d.run(*args)
        assert rc == 5, (args, rc, out, err)
    # A member may invite too (B is friends with nobody but A, who is already in).
    b.ok("room", "invite", room.id, a.id)
    assert {m["id"] for m in a.jsonl("room", "members", room.id)} == {a.id, b.id}


def test_room_upload_cancel(server, four, tmp_path):
    """`upload --room ROOM PATH --cancel` gives up the caller's unfinished upload to the room,
    and only theirs: another member's upload of the same bytes stays."""
    a, b, c, _ = four
    room = Room(a, "drop", [b, c])
    src = tmp_path / "big.bin"
    size = 50 * MIB
    write_random(src, size)
    proc = spawn(b, "upload", "--room", room.id, src, json=True)
    kill_when(proc, lambda: largest_upload_part(server), size // 4, "the room upload")
    [pending] = a.jsonl("files", "--room", room.id)
    assert (pending["state"], pending["sender"]) == ("uploading", b.id), pending

    rc, out, err = a.run("upload", "--room", room.id, src, "--cancel")
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err, f"no unfinished upload of {src} to room {room.id}")

    [result] = b.jsonl("upload", "--room", room.id, src, "--cancel")
    assert result == {"cancelled": pending["id"], "room": room.id}, result
    assert upload_parts(server) == []
    assert a.ok("files", "--room", room.id) == ""
