"""Every Client call that takes an id also takes an object with .id (a UserInfo, Friend,
RoomMember, Room, RoomRef, FileInfo, Message), against a real server."""

import pytest

import occhat


def test_calls_accept_objects_with_an_id(env, tmp_path):
    alice, bob, carol = env.user("alice"), env.user("bob"), env.user("carol")
    a, b, c = (occhat.Client(env.server.address, home) for _, home in (alice, bob, carol))

    # friends: a UserInfo from find(), a FriendRequest, a Friend
    bob_info = a.find(b.whoami())
    assert bob_info.id == bob[0]
    assert a.add_friend(bob_info).state == "requested"
    assert b.add_friend(b.requests().incoming[0]).state == "friends"
    carol_info = c.whoami()
    a.add_friend(carol_info)
    c.add_friend(a.whoami())

    # messages: answer an event's sender (the reported TypeError), page history with a Message
    a.send(bob_info, "first")
    a.send(bob[0], "second")
    event = [e for e in b.inbox() if e.type == "message"][-1]
    reply_id = b.send(event.sender, "hi")
    history = a.history(bob_info, limit=10)
    assert [m.text for m in history] == ["first", "second", "hi"] and history[-1].id == reply_id
    assert [m.text for m in a.history(bob_info, before=history[-1])] == ["first", "second"]

    # files: to a UserInfo; the FileInfo for info, download and the peer as a Friend
    src = tmp_path / "notes.txt"
    src.write_bytes(b"notes" * 1000)
    up = b.upload(event.sender, src)
    friend = [f for f in a.friends() if f.id == bob[0]][0]
    assert [f.id for f in a.files(friend)] == [up.file.id]
    assert a.file_info(up.file).id == up.file.id
    down = a.download(up.file, tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == src.read_bytes() and down.file.id == up.file.id
    assert a.files_page(friend, before=up.file).files == []

    # rooms: a Room, a RoomRef from an event, members as UserInfo / RoomMember objects
    room = a.create_room("team")
    a.invite_to_room(room, [bob_info, carol_info])
    invite = [e for e in b.inbox() if e.type == "room"][-1]
    assert b.join_room(invite.room).id == room.id
    c.join_room(room)
    member = [m for m in a.room_members(room) if m.id == carol[0]][0]
    a.set_room_admin(room, member)
    a.remove_from_room(room, member)
    message_id = b.send_room_message(invite.room, "hello room")
    assert [m.id for m in a.room_history(room)][-1] == message_id
    up_room = a.upload_room_file(room, src)
    assert [f.id for f in b.room_files(invite.room)] == [up_room.file.id]
    assert b.room_files_page(room, before=up_room.file).files == []
    a.rename_room(room, "team 2")
    a.transfer_room(room, bob_info)
    assert [r.role for r in a.rooms().rooms] == ["admin"]
    a.leave_room(room)
    b.delete_room(room)

    # blocking
    a.block_user(carol_info)
    assert [u.id for u in a.blocked_users()] == [carol[0]]
    a.unblock_user(carol_info)
    a.remove_friend(bob_info)
    assert [f.id for f in a.friends()] == []


def test_anything_else_is_a_type_error(env):
    alice = env.user("alice")
    client = occhat.Client(env.server.address, alice[1])
    with pytest.raises(TypeError, match=r"expected an id .* not object"):
        client.send(object(), "hi")
    with pytest.raises(TypeError, match=r"not NoneType"):
        client.find(None)
