"""occhat.Client: results, errors, sessions shared with the CLI, the GIL."""

import threading
import time

import pytest

from conftest import PASSWORD

import occhat


def test_wrong_password_raises_auth_error(env):
    alice = env.user("alice")
    client = occhat.Client(env.server.address, env.tmp / "py-home")
    with pytest.raises(occhat.AuthError) as info:
        client.login(alice[0], "not the password")
    assert info.value.code == "auth_failed"
    assert info.value.exit_code == 3
    assert isinstance(info.value, occhat.Error)
    assert "wrong id or password" in str(info.value)


def test_unreachable_server_raises_connection_error(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = occhat.Client(f"127.0.0.1:{port}", tmp_path)
    with pytest.raises(ConnectionError) as info:  # the builtin catches it too
        client.register("a@x.org", "a", PASSWORD)
    assert isinstance(info.value, occhat.ConnectionError)
    assert info.value.code == "unavailable" and info.value.exit_code == 2


def test_not_logged_in_raises_auth_error(env):
    client = occhat.Client(env.server.address, env.tmp / "empty-home")
    with pytest.raises(occhat.AuthError) as info:
        client.friends()
    assert info.value.code == "unauthenticated"


def test_calls_and_typed_results(env):
    alice = env.user("alice")  # logged in with the CLI: Python resumes its session
    home = env.tmp / "py-bob"
    client = occhat.Client(env.server.address, home)
    bob_id = client.register("bob@example.org", "bob", PASSWORD)
    assert 100000 <= bob_id <= 999999
    me = client.login(bob_id, PASSWORD)
    assert (me.id, me.nick, me.email) == (bob_id, "bob", "bob@example.org")
    assert (home / "session.json").exists()
    assert client.whoami().id == bob_id
    assert client.find(alice[0]).nick == "alice"
    with pytest.raises(occhat.NotFoundError):
        client.find(100000 if alice[0] != 100000 else 100001)

    result = client.add_friend(alice[0])
    assert result.state == "requested" and "requested" in repr(result)
    assert [r.id for r in client.requests().outgoing] == [alice[0]]
    with pytest.raises(occhat.NotAllowedError):
        client.send(alice[0], "not yet")

    alice_client = occhat.Client(env.server.address, alice[1])
    assert alice_client.whoami().id == alice[0]  # the CLI's session.json
    assert alice_client.add_friend(bob_id).state == "friends"
    friends = client.friends()
    assert [f.id for f in friends] == [alice[0]] and "Friend(id=" in repr(friends[0])

    message_id = client.send(alice[0], "hi alice")
    assert message_id > 0
    events = alice_client.inbox()
    messages = [e for e in events if e.type == "message"]
    assert [(e.text, e.sender.id) for e in messages] == [("hi alice", bob_id)]
    assert messages[0].message.id == message_id and messages[0].time.year >= 2024
    assert "hi alice" in repr(messages[0])
    assert alice_client.inbox() == []  # handled once
    hist = client.history(alice[0])
    assert [m.text for m in hist] == ["hi alice"] and hist[0].sender == bob_id

    with pytest.raises(occhat.InvalidArgumentError):
        client.send(alice[0], "")
    client.remove_friend(alice[0])
    assert client.friends() == []
    client.logout()
    assert not (home / "session.json").exists()


def test_upload_files_download(env, tmp_path):
    alice, bob = env.user("alice"), env.user("bob")
    env.befriend(alice, bob)
    a = occhat.Client(env.server.address, alice[1])
    b = occhat.Client(env.server.address, bob[1])
    src = tmp_path / "notes.txt"
    src.write_bytes(b"x" * 100000)
    seen = []
    up = a.upload(bob[0], src, progress=lambda done, total: seen.append((done, total)))
    assert up.file.name == "notes.txt" and up.file.size == 100000 and seen[-1] == (100000, 100000)
    files = b.files(alice[0])
    assert [f.id for f in files] == [up.file.id]
    down = b.download(up.file.id, tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == src.read_bytes()
    assert down.file.sha256 == up.file.sha256
    (tmp_path / "d").mkdir()
    again = b.download(up.file.id, tmp_path / "d")
    assert again.path.endswith("notes.txt")

    def stop(done, total):
        raise KeyError("stop here")
    with pytest.raises(KeyError):
        b.download(up.file.id, tmp_path / "aborted.txt", progress=stop)


def test_other_threads_run_while_events_blocks(env):
    alice = env.user("alice")
    client = occhat.Client(env.server.address, alice[1])
    client.whoami()
    count = 0
    stop = False

    def counter():
        nonlocal count
        while not stop:
            count += 1

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        time.sleep(0.05)
        before = count
        assert client.raw.next_event(1.0) is None  # one C++ call blocking for a full second
        during_raw = count - before
        before = count
        assert list(client.events(timeout=1.0)) == []
        during_events = count - before
    finally:
        stop = True
        thread.join()
    # With the GIL held for the whole second the counter could not have moved.
    assert during_raw > 100000, during_raw
    assert during_events > 100000, during_events


def test_cancel_upload_and_files_page(env, tmp_path):
    alice, bob = env.user("alice"), env.user("bob")
    env.befriend(alice, bob)
    a = occhat.Client(env.server.address, alice[1])
    src = tmp_path / "big.bin"
    src.write_bytes(b"y" * (3 << 20))

    def stop(done, total):
        if done > 0:
            raise KeyError("stop here")
    with pytest.raises(KeyError):
        a.upload(bob[0], src, progress=stop)
    [pending] = a.files(bob[0])
    assert pending.state == "uploading"
    assert a.cancel_upload_file(bob[0], src) == pending.id
    assert a.files(bob[0]) == []
    with pytest.raises(occhat.NotFoundError):
        a.cancel_upload(pending.id)
    with pytest.raises(occhat.NotFoundError):
        a.cancel_upload_file(bob[0], src)

    ids = []
    for i in range(3):
        (tmp_path / "s").write_bytes(b"s" * i)
        ids.append(a.upload(bob[0], tmp_path / "s", name=f"s{i}").file.id)
    page = a.files_page(bob[0], limit=2)
    assert [f.id for f in page.files] == ids[1:] and page.more
    page = a.files_page(bob[0], before=page.files[0].id)
    assert [f.id for f in page.files] == ids[:1] and not page.more
    assert isinstance(page, occhat.FilePage)
