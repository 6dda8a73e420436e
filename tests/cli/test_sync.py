"""Every device in sync: what a user sends from one device reaches their other devices as a
`sent` event (carbons), and the inbox of devices that come later; unread counts per conversation
in `friends`, `rooms` and the shell; `watch --json` starts with a presence snapshot."""

import re

from conftest import TIME_TEXT, User, make_user, befriend, drain_inbox, eventually
from test_rooms import Room
from test_shell import Shell, nl


def device(user, tmp_path, name):
    """Another device of `user`: a home of its own, logged in as the same account."""
    home = tmp_path / f"home-{user.name}-{name}"
    user.server.login(home, user.id)
    return User(user.server, user.name, home, user.id)


def is_text(text):
    return lambda e: e.get("text") == text


def messages(events):
    return [(e["type"], e["text"]) for e in events if e.get("type") in ("message", "sent")]


def test_two_devices_see_the_sent_message_and_a_later_device_sees_it_in_order(friends, watch_factory, tmp_path):
    a, b = friends.a, friends.b
    laptop, tablet = device(a, tmp_path, "laptop"), device(a, tmp_path, "tablet")
    w_laptop, w_tablet = watch_factory(laptop), watch_factory(tablet)
    b.ok("send", a.id, "lunch?")
    for w in (w_laptop, w_tablet):  # both subscribed now
        w.wait_for(is_text("lunch?"), what="bob's message")

    [sent] = a.jsonl("send", b.id, "at noon")
    for w in (w_laptop, w_tablet):
        carbon = w.wait_for(is_text("at noon"), what="alice's own message")
        assert carbon["type"] == "sent", carbon
        assert (carbon["id"], carbon["from"], carbon["from_nick"], carbon["to"], carbon["to_nick"]) == \
            (sent["id"], a.id, "alice", b.id, "bob"), carbon
    b.ok("send", a.id, "ok")
    for w in (w_laptop, w_tablet):
        w.wait_for(is_text("ok"), what="bob's answer")
        assert messages(w.seen) == [("message", "lunch?"), ("sent", "at noon"), ("message", "ok")], w.seen
        seqs = [e["seq"] for e in w.seen if "seq" in e]
        assert seqs == sorted(seqs), w.seen
    for w in (w_laptop, w_tablet):
        assert w.interrupt() == 0

    # With no device of alice's around, she sends from one and bob answers; a device that
    # connects later finds both, in order, in the inbox.
    a.ok("send", b.id, "are you there?")
    b.ok("send", a.id, "yes")
    later = device(a, tmp_path, "later")
    text = later.ok("inbox", "--peek")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\) to bob \({b.id}\): are you there\?\n"
                        rf"\[{TIME_TEXT}\] bob \({b.id}\): yes\n", text), text
    assert messages(later.jsonl("inbox")) == [("sent", "are you there?"), ("message", "yes")]


def test_own_room_messages_are_sent_events(server, tmp_path, watch_factory):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    befriend(a, b)
    room = Room(a, "team", [b])
    drain_inbox(a)
    drain_inbox(b)
    laptop = device(a, tmp_path, "laptop")
    w = watch_factory(laptop, json=False)
    a.ok("send", "--room", room.id, "hello team")
    line = w.wait_for(lambda l: "hello team" in l, what="alice's room message")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] \[#{room.id} team\] alice \({a.id}\): hello team", line), line
    [event] = [e for e in b.jsonl("inbox") if e.get("text") == "hello team"]
    assert event["type"] == "message"  # for everyone else it is a message


def test_unread_counts_in_friends_rooms_and_read(server, tmp_path):
    a, b, c = (make_user(server, tmp_path, n) for n in ("alice", "bob", "carol"))
    befriend(a, b)
    befriend(a, c)
    room = Room(b, "team", [a])
    for _ in range(3):
        b.ok("send", a.id, "hi")
    c.ok("send", a.id, "hey")
    b.ok("send", "--room", room.id, "in the room")

    by_id = {f["id"]: f for f in a.jsonl("friends")}
    assert (by_id[b.id]["unread"], by_id[c.id]["unread"]) == (3, 1), by_id
    assert re.search(rf"  {b.id} bob  \(3 unread\)\n", a.ok("friends"))
    [r] = a.jsonl("rooms")
    assert (r["id"], r["unread"]) == (room.id, 1), r
    assert a.ok("rooms").startswith(f"rooms:\n  {room.id}  team  member  2 members  (1 unread)\n")
    assert [f["unread"] for f in b.jsonl("friends")] == [0]  # your own messages are never unread

    # Reading the conversation (its newest page), `read`, and answering all mark it read.
    a.ok("history", b.id)
    assert a.ok("read", c.id) == f"marked the conversation with {c.id} read\n"
    assert a.jsonl("read", "--room", room.id) == [{"ok": True, "room": room.id}]
    assert [f["unread"] for f in a.jsonl("friends")] == [0, 0]
    assert [r["unread"] for r in a.jsonl("rooms")] == [0]
    assert "unread" not in a.ok("friends")
    c.ok("send", a.id, "again")
    a.ok("send", c.id, "answer")
    assert [f["unread"] for f in a.jsonl("friends")] == [0, 0]

    # Errors: a room you are not in; yourself; a malformed id.
    rc, _, err = c.run("read", "--room", room.id)
    assert (rc, err) == (5, f"occhat: you are not a member of room {room.id}\n")
    rc, _, err = a.run("read", a.id)
    assert rc == 1 and "yourself" in err, err
    rc, _, err = a.run("read", "12")
    assert rc == 1 and err.startswith("occhat: "), err


def test_watch_json_starts_with_a_presence_snapshot(friends, watch_factory):
    a, b, c = friends.a, friends.b, friends.c
    befriend(a, c)
    drain_inbox(a)
    drain_inbox(c)
    wb = watch_factory(b)  # bob comes online
    online = eventually(lambda: a.jsonl("friends"), lambda fs: any(f["id"] == b.id and f["online"] for f in fs))
    assert any(f["id"] == b.id and f["online"] for f in online), online
    wa = watch_factory(a)
    snapshot = wa.wait_for(lambda e: e.get("type") == "presence", what="the presence snapshot")
    assert (snapshot["user"], snapshot["nick"], snapshot["online"], snapshot["snapshot"]) == \
        (b.id, "bob", True, True), snapshot
    wc = watch_factory(c)  # carol comes online afterwards: a live change, no snapshot flag
    live = wa.wait_for(lambda e: e.get("type") == "presence" and e["user"] == c.id, what="carol online")
    assert live["online"] is True and "snapshot" not in live, live
    # Carol's watch starts with her own snapshot: alice, her only friend, is online.
    first = wc.wait_for(lambda e: e.get("type") == "presence", what="carol's snapshot")
    assert (first["user"], first["snapshot"]) == (a.id, True), first
    assert [e for e in wa.seen if e.get("type") == "presence"] == [snapshot, live], wa.seen
    for w in (wa, wb, wc):
        assert w.interrupt() == 0


def test_shell_shows_what_other_devices_sent_and_its_own_lines_once(friends, tmp_path):
    a, b = friends.a, friends.b
    for _ in range(2):
        b.ok("send", a.id, "unread one")
    shell = Shell(a)
    try:
        shell.expect("> ")
        assert re.search(rf"  {b.id} bob  \(2 unread\)", "\n".join(shell.screen())), shell.screen()
        shell.send(f"/chat {b.id}\r")
        shell.expect(re.escape("[bob]> "))
        shell.send("typed here\r")
        a.ok("send", b.id, "from my phone")
        # What alice sent elsewhere shows in the open chat as her own line.
        shell.expect(rf"\[{TIME_TEXT}\] alice \({a.id}\): from my phone")
        b.ok("send", a.id, "seen live")
        shell.expect(rf"\[{TIME_TEXT}\] bob \({b.id}\): seen live")
        shell.send("/friends\r")
        shell.expect(rf"online:{nl()}  \(none\){nl()}offline:{nl()}  {b.id} bob{nl()}")
        screen = shell.screen()
        assert len([l for l in screen if l.endswith("typed here")]) == 1, screen
        assert shell.quit() == 0
    finally:
        shell.close()
    # Opening the chat and the live line read the conversation, for every device.
    assert [f["unread"] for f in a.jsonl("friends")] == [0]
