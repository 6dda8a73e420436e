"""Every device in sync, from Python: `sent` events (carbons) on another client of the same
account, unread counts (Friend.unread, Room.unread) and mark_read, the presence snapshot a
subscription starts with, and bots that never answer their own messages."""

import json
import time

import pytest

from conftest import EXAMPLES, wait_for

import occhat


def test_second_client_sees_sent_events_snapshot_and_unread(env):
    alice, bob = env.user("alice"), env.user("bob")
    env.befriend(alice, bob)
    env.cli(alice[1], "inbox")
    env.cli(bob[1], "inbox")
    bob_client = occhat.Client(env.server.address, bob[1])
    bob_client.resume(announce_presence=True)  # bob is online

    laptop_home = env.tmp / "alice-laptop"
    env.cli(laptop_home, "login", alice[0], "--password-stdin", stdin="correct horse battery staple\n")
    laptop = occhat.Client(env.server.address, laptop_home)
    with laptop.events(timeout=10) as stream:
        first = next(stream)
        assert (first.type, first.user.id, first.online, first.snapshot) == ("presence", bob[0], True, True)
        env.cli(alice[1], "send", bob[0], "from the phone")  # alice's other device
        sent = next(stream)
        assert sent.type == "sent", sent
        assert (sent.text, sent.sender.id, sent.message.to, sent.message.to_nick) == \
            ("from the phone", alice[0], bob[0], "bob")
        assert "to=" in repr(sent)

    bob_client.send(alice[0], "one")
    last = bob_client.send(alice[0], "two")
    assert [f.unread for f in laptop.friends()] == [2]
    laptop.mark_read(bob[0], up_to=last - 1)
    assert [f.unread for f in laptop.friends()] == [1]
    laptop.mark_read(bob[0])
    assert [f.unread for f in laptop.friends()] == [0]
    room = bob_client.create_room("team")
    bob_client.invite_to_room(room, alice[0])
    laptop.join_room(room)
    bob_client.send_room_message(room, "in the room")
    assert [r.unread for r in laptop.rooms().rooms] == [1]
    laptop.mark_read(room=room)
    assert [r.unread for r in laptop.rooms().rooms] == [0]
    with pytest.raises(TypeError):
        laptop.mark_read(bob[0], room=room)
    with pytest.raises(occhat.NotFoundError):
        laptop.mark_read(999998)


def test_echo_bot_does_not_answer_its_own_sent_events(env):
    alice, bot = env.user("alice"), env.user("bot")
    env.befriend(alice, bot)
    proc = env.start_python(EXAMPLES / "echo_bot.py", "--server", env.server.address, "--home", bot[1])

    def replies():
        _, out, _ = env.cli(alice[1], "--json", "history", bot[0])
        return [m["text"] for m in map(json.loads, out.splitlines()) if m["from"] == bot[0]]

    env.cli(alice[1], "send", bot[0], "hello bot")
    wait_for(lambda: replies(), 20, lambda: f"the echo; log: {env.log()}", 0.2)
    time.sleep(1.5)  # a bot answering its own `sent` event would echo again (and again)
    assert replies() == ["hello bot"], env.log()
    proc.terminate()
    proc.wait(timeout=10)
