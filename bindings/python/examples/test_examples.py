"""Tests of the example bots against a real occhat-server, with occhat.testing. Run them with

    PYTHONPATH=build/python python3 -m pytest bindings/python/examples

(scripts/test.sh does). Each bot runs as its own process, as it would in production, logged in
as a fresh account; the test talks to it through the occhat API as other users."""

import hashlib
import pathlib
import re

from occhat.testing import OcchatServer

import occhat

HERE = pathlib.Path(__file__).resolve().parent


def test_echo_bot_repeats_a_message(occhat_server: OcchatServer) -> None:
    alice, bot = occhat_server.users("alice", "echo")
    with bot.run_bot(HERE / "echo_bot.py"):
        alice.client.send(bot, "hello bot")
        assert alice.wait_for_message(sender=bot).text == "hello bot"


def test_echo_bot_accepts_a_friend_request(occhat_server: OcchatServer) -> None:
    carol, bot = occhat_server.users("carol", "echo", friends=False)
    with bot.run_bot(HERE / "echo_bot.py"):
        assert carol.client.add_friend(bot).state == "requested"
        accepted = carol.wait_for_event(lambda e: e.type == "friend_request" and e.accepted)
        assert accepted.sender is not None and accepted.sender.id == bot.id


def test_room_bot_joins_when_invited_and_rolls_in_the_room(occhat_server: OcchatServer) -> None:
    alice, bot = occhat_server.users("alice", "dice")
    with bot.run_bot(HERE / "room_bot.py"):
        room = alice.client.create_room("games")
        alice.client.invite_to_room(room, bot)
        alice.wait_for_room_event("joined", room, subject=bot)
        alice.client.send_room_message(room, "/roll 20")
        reply = alice.wait_for_message(sender=bot, room=room).text or ""
        match = re.fullmatch(r"alice rolled (\d+) \(d20\)", reply)
        assert match and 1 <= int(match.group(1)) <= 20, reply


def test_file_bot_replies_with_the_sha256(occhat_server: OcchatServer, tmp_path: pathlib.Path) -> None:
    alice, bot = occhat_server.users("alice", "files")
    data = bytes(range(256)) * 4000
    path = tmp_path / "photo.bin"
    path.write_bytes(data)
    with bot.run_bot(HERE / "file_bot.py", "--dir", str(tmp_path / "received")):
        alice.client.upload(bot, path)
        reply = alice.wait_for_message(sender=bot).text
        assert reply == f"sha256 photo.bin {hashlib.sha256(data).hexdigest()}"
    assert [p.read_bytes() == data for p in (tmp_path / "received").iterdir()] == [True]


def test_reminder_bot_answers_others_while_a_reminder_waits(occhat_server: OcchatServer) -> None:
    alice, carol, bot = occhat_server.users("alice", "carol", "reminder")
    with bot.run_bot(HERE / "reminder_bot.py"):
        room = alice.client.create_room("team")
        alice.client.invite_to_room(room, bot)
        alice.wait_for_room_event("joined", room, subject=bot)
        alice.client.send_room_message(room, "/remind 2 tea is ready")
        carol.client.send(bot, "/roll")  # another conversation: answered while the reminder waits
        roll = carol.wait_for_message(sender=bot, timeout=1.5).text or ""
        assert re.fullmatch(r"carol rolled [1-6] \(d6\)", roll), roll
        assert alice.wait_for_message(sender=bot, room=room).text == "reminder: tea is ready"
