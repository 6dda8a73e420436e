"""Rooms and blocking from Python against a real server: the calls, room events and mentions,
and bots in rooms (reply, commands, the example room bot)."""

import threading
import time

import pytest

from conftest import EXAMPLES, wait_for

import occhat


def clients(env, *users):
    return [occhat.Client(env.server.address, home) for _, home in users]


def room_with(env, owner, *members, name="team"):
    """A room owned by `owner` that each of `members` (befriended first) joined; returns its id."""
    o, *ms = clients(env, owner, *members)
    for member in members:
        env.befriend(owner, member)
    room = o.create_room(name)
    if members:
        o.invite_to_room(room.id, [m[0] for m in members])
        for m in ms:
            m.join_room(room.id)
    return room.id


def room_texts(client, room, sender):
    return [m.text for m in client.room_history(room, 500) if m.sender == sender]


def run_bot(bot, until, timeout=30):
    """Runs bot.run() in a thread until until() holds (checked every 0.1 s) or `timeout` passes."""
    thread = threading.Thread(target=bot.run)
    thread.start()
    try:
        wait_for(until, timeout, "the bot's answers", interval=0.1)
    finally:
        bot.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_room_calls_round_trip(env, tmp_path):
    alice, bob, carol = env.user("alice"), env.user("bob"), env.user("carol")
    env.befriend(alice, bob)
    env.befriend(alice, carol)
    a, b, c = clients(env, alice, bob, carol)

    room = a.create_room("team")
    assert isinstance(room, occhat.Room) and room.id >= 1000000
    assert (room.name, room.role, room.members, room.owner) == ("team", "owner", 1, alice[0])
    assert room.invited_by is None and room.created.year >= 2024 and "Room(id=" in repr(room)
    with pytest.raises(occhat.InvalidArgumentError):
        a.create_room("")

    a.invite_to_room(room.id, [bob[0], carol[0]])
    [invite] = b.rooms().invites
    assert invite.id == room.id and invite.invited_by.id == alice[0] and b.rooms().rooms == []
    with pytest.raises(occhat.NotAllowedError):
        b.room_history(room.id)  # invited is not a member
    joined = b.join_room(room.id)
    assert (joined.id, joined.role, joined.members) == (room.id, "member", 2)
    c.decline_room(room.id)
    assert c.rooms().invites == [] and c.rooms().rooms == []

    members = a.room_members(room.id)
    assert [(m.id, m.role) for m in members] == sorted([(alice[0], "owner"), (bob[0], "member")])
    assert all(isinstance(m, occhat.RoomMember) for m in members)
    a.set_room_admin(room.id, bob[0])
    assert {m.id: m.role for m in a.room_members(room.id)}[bob[0]] == "admin"
    b.rename_room(room.id, "team 2")
    assert [(r.id, r.name) for r in a.rooms().rooms] == [(room.id, "team 2")]

    sent = b.send_room_message(room.id, f"hi @{alice[0]}")
    [msg] = a.room_history(room.id)
    assert (msg.id, msg.sender, msg.to, msg.text) == (sent, bob[0], 0, f"hi @{alice[0]}")
    assert msg.room.id == room.id and msg.mentions == [alice[0]]
    assert f"room={room.id}" in repr(msg)

    src = tmp_path / "notes.txt"
    src.write_bytes(b"n" * 1000)
    seen = []
    up = a.upload_room_file(room.id, src, progress=lambda done, total: seen.append(done))
    assert up.file.room.id == room.id and up.file.recipient == 0 and seen[-1] == 1000
    assert [f.id for f in b.room_files(room.id)] == [up.file.id]
    page = b.room_files_page(room.id, limit=1)
    assert [f.id for f in page.files] == [up.file.id] and not page.more
    b.download(up.file.id, tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == src.read_bytes()

    a.transfer_room(room.id, bob[0])
    assert {m.id: m.role for m in b.room_members(room.id)} == {alice[0]: "admin", bob[0]: "owner"}
    with pytest.raises(occhat.Error) as info:
        b.leave_room(room.id)  # the owner hands the room on or deletes it first
    assert info.value.code == "conflict"
    b.set_room_admin(room.id, alice[0], admin=False)
    b.remove_from_room(room.id, alice[0])
    with pytest.raises(occhat.NotAllowedError):
        a.room_history(room.id)
    b.delete_room(room.id)
    assert b.rooms().rooms == []

    # Blocking ends the friendship; the list round-trips.
    a.block_user(carol[0])
    a.block_user(carol[0])  # idempotent
    assert [u.id for u in a.blocked_users()] == [carol[0]]
    assert carol[0] not in [f.id for f in a.friends()]
    with pytest.raises(occhat.InvalidArgumentError):
        a.block_user(alice[0])
    a.unblock_user(carol[0])
    assert a.blocked_users() == []


def test_events_carry_the_room_and_mentions(env, tmp_path):
    alice, bob = env.user("alice"), env.user("bob")
    env.befriend(alice, bob)
    a, b = clients(env, alice, bob)
    room = a.create_room("team")
    a.invite_to_room(room.id, bob[0])  # a single id works too

    [invited] = [e for e in b.inbox() if e.type == "room"]
    assert invited.room_event.kind == "invited" and invited.room_event.actor.id == alice[0]
    assert (invited.room.id, invited.room.name) == (room.id, "team") and invited.mentions == []
    assert invited.sender is None and "invited" in repr(invited)
    b.join_room(room.id)

    a.send_room_message(room.id, f"welcome @{bob[0]}")
    events = b.inbox()
    [msg] = [e for e in events if e.type == "message"]
    assert (msg.room.id, msg.room.name) == (room.id, "team")
    assert msg.mentions == [bob[0]] and msg.sender.id == alice[0] and msg.text == f"welcome @{bob[0]}"
    assert f"room={room.id}" in repr(msg)

    joined = [e.room_event for e in a.inbox() if e.type == "room"]
    assert [(j.kind, j.subject.id) for j in joined] == [("joined", bob[0])]
    assert isinstance(joined[0].room, occhat.RoomRef)

    (tmp_path / "f.txt").write_text("f")
    up = a.upload_room_file(room.id, tmp_path / "f.txt")
    [file] = [e for e in b.inbox() if e.type == "file"]
    assert file.file.id == up.file.id and file.room.id == room.id and file.sender.id == alice[0]

    a.send(bob[0], "1:1")  # a 1:1 message has no room and no mentions
    [direct] = [e for e in b.inbox() if e.type == "message"]
    assert direct.room is None and direct.mentions == [] and direct.message.room is None


def test_bot_reply_in_a_room_reaches_the_other_members_and_never_answers_itself(env):
    alice, bot_user, carol = env.user("alice"), env.user("bot"), env.user("carol")
    room = room_with(env, alice, bot_user, carol)
    a, c = clients(env, alice, carol)
    bot = occhat.Bot(env.server.address, bot_user[1])
    handled = []

    @bot.on_message
    def echo(event):
        handled.append(event.text)
        bot.reply(event, f"echo {event.text}")  # its own echo must not come back to it

    a.send_room_message(room, "ping")
    run_bot(bot, lambda: room_texts(c, room, bot_user[0]) == ["echo ping"])
    time.sleep(0.5)  # an echo of its own echo would show up now
    assert room_texts(c, room, bot_user[0]) == ["echo ping"]
    assert handled == ["ping"]
    assert room_texts(a, room, bot_user[0]) == ["echo ping"]


def test_on_command_in_a_room_and_1to1(env):
    alice, bot_user = env.user("alice"), env.user("bot")
    room = room_with(env, alice, bot_user)
    [a] = clients(env, alice)
    bot = occhat.Bot(env.server.address, bot_user[1])
    calls, messages = [], []

    @bot.on_command("sum")
    def add(event, args):
        calls.append(args)
        bot.reply(event, str(sum(int(n) for n in args.split())))

    @bot.on_message
    def seen(event):
        messages.append(event.text)  # commands are messages too

    texts = ["/sum 40 2", "/summary is not a command", "not /sum 1"]
    a.send_room_message(room, "/sum 1 2 3")
    for text in texts:
        a.send(bot_user[0], text)
    run_bot(bot, lambda: len(messages) == 4)
    assert messages == ["/sum 1 2 3", *texts]
    assert calls == ["1 2 3", "40 2"]
    assert room_texts(a, room, bot_user[0]) == ["6"]
    assert [m.text for m in a.history(bot_user[0]) if m.sender == bot_user[0]] == ["42"]


def test_example_room_bot_joins_on_invitation_and_answers(env):
    alice, bot_user = env.user("alice"), env.user("bot")
    env.befriend(alice, bot_user)
    [a] = clients(env, alice)
    proc = env.start_python(EXAMPLES / "room_bot.py", "--server", env.server.address, "--home", bot_user[1])
    room = a.create_room("games").id
    a.invite_to_room(room, [bot_user[0]])
    wait_for(lambda: bot_user[0] in [m.id for m in a.room_members(room)], 20,
             lambda: f"the bot to join; log: {env.log()}", 0.2)

    a.send_room_message(room, "/roll 20")
    a.send_room_message(room, f"hello @{bot_user[0]}")
    wait_for(lambda: len(room_texts(a, room, bot_user[0])) == 2, 20,
             lambda: f"two answers; log: {env.log()}", 0.2)
    roll, hello = room_texts(a, room, bot_user[0])
    assert roll.startswith("alice rolled ") and roll.endswith("(d20)")
    assert 1 <= int(roll.split()[2]) <= 20
    assert hello.startswith("hi alice!") and "/roll" in hello
    proc.send_signal(2)  # SIGINT: the bot stops cleanly
    assert proc.wait(timeout=10) == 0, env.log()


def test_cancel_room_upload_file_cancels_only_your_own(env, tmp_path):
    alice, bob = env.user("alice"), env.user("bob")
    room = room_with(env, alice, bob)
    a, b = clients(env, alice, bob)
    src = tmp_path / "big.bin"
    src.write_bytes(b"r" * (3 << 20))

    def stop(done, total):
        if done > 0:
            raise KeyError("stop here")
    with pytest.raises(KeyError):
        b.upload_room_file(room, src, progress=stop)
    [pending] = a.room_files(room)
    assert (pending.state, pending.sender) == ("uploading", bob[0])
    with pytest.raises(occhat.NotFoundError):
        a.cancel_room_upload_file(room, src)  # the same bytes, but bob's upload
    assert b.cancel_room_upload_file(room, src) == pending.id
    assert a.room_files(room) == []
