"""`occhat daemon --socket PATH` (issue 14 §5): an owner-only UNIX socket several clients share,
spoken to with Python's socket and json modules (no SDK)."""

import os
import socket
import stat
import subprocess
import time

import pytest

from conftest import run
from daemon_client import SocketClient, daemon_factory  # noqa: F401  (a fixture)


def wait_for_socket(path, daemon, timeout=15):
    """Waits until the daemon accepts connections on `path` (a probe connection: the daemon greets
    it and drops it when it closes)."""
    deadline = time.monotonic() + timeout
    while True:
        assert daemon.proc.poll() is None, f"daemon exited {daemon.proc.returncode}: {daemon.stderr()!r}"
        assert time.monotonic() < deadline, "the daemon's socket never accepted a connection"
        if path.exists() and stat.S_ISSOCK(path.lstat().st_mode):
            try:
                SocketClient(path).close()
                return
            except OSError:
                pass
        time.sleep(0.05)


@pytest.fixture
def sock_path(tmp_path):
    # Short: a UNIX socket path has at most 107 bytes, and pytest's tmp_path can be long.
    path = tmp_path / "d.sock"
    if len(str(path)) > 100:
        pytest.skip("tmp_path too long for a UNIX socket")
    return path


def test_socket_is_owner_only_and_serves_several_clients(friends, server, daemon_factory, sock_path):
    a, b = friends.a, friends.b
    os.umask(0o022)  # a permissive umask must not leak into the socket's mode
    d = daemon_factory(a, ["--socket", str(sock_path)])
    wait_for_socket(sock_path, d)
    assert stat.S_IMODE(sock_path.lstat().st_mode) == 0o600

    watcher = SocketClient(sock_path, "watcher")
    sender = SocketClient(sock_path, "sender")
    try:
        for c in (watcher, sender):
            hello = c.note(what="hello")
            assert hello["method"] == "hello" and hello["params"]["schema"] == 1, hello
        watcher.call("subscribe")
        # One client sends, the server's echo of bob's answer reaches the subscribed one only.
        sent = sender.call("send", {"to": b.id, "text": "over the socket"})
        assert sent["to"] == b.id
        b.ok("send", a.id, "answer")
        carbon, event = watcher.events(2)  # alice's own message comes back as "sent" first
        assert (carbon["type"], carbon["text"]) == ("sent", "over the socket")
        assert event["text"] == "answer" and event["from"] == b.id
        assert sender.quiet_events(0.5) == []
        # An ack from any client acknowledges on the server.
        assert sender.call("ack", {"seq": event["seq"]}) == {"acked": event["seq"]}
        assert a.ok("inbox") == ""
        # Every client hears of a lost and a restored server connection, subscribed or not.
        port = server.port
        assert server.stop() == 0
        for c in (watcher, sender):
            assert c.note(lambda n: n["method"] == "connection")["params"]["state"] == "lost"
        assert sender.error("friends")["data"]["code"] == "unavailable"
        server.start(port)
        for c in (watcher, sender):
            assert c.note(lambda n: n["method"] == "connection")["params"]["state"] == "restored"
        assert sender.call("friends")["friends"][0]["id"] == b.id
        # A client going away does not disturb the others.
        sender.close()
        assert watcher.call("whoami")["id"] == a.id
    finally:
        watcher.close()
        sender.close()

    # A second daemon on the same (live) socket is refused; the first keeps its socket.
    rc, out, err = run(a.home, "--server", a.server.address, "daemon", "--socket", str(sock_path))
    assert rc == 10 and "another daemon is listening" in err, (rc, out, err)
    assert SocketClient(sock_path).note()["method"] == "hello"

    d.proc.terminate()
    assert d.proc.wait(timeout=10) == 0
    assert not sock_path.exists()  # removed on exit


def test_a_stale_socket_is_replaced_and_other_files_are_left_alone(friends, daemon_factory, sock_path):
    a = friends.a
    # A socket nobody listens on (a killed daemon's): replaced.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock_path))
    stale.close()
    d = daemon_factory(a, ["--socket", str(sock_path)])
    client = None
    deadline = time.monotonic() + 15
    while client is None:
        try:
            client = SocketClient(sock_path)
        except OSError:
            assert d.proc.poll() is None, d.stderr()
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert client.note()["params"]["user"]["id"] == a.id
    client.close()
    d.proc.terminate()
    assert d.proc.wait(timeout=10) == 0

    # A regular file is never replaced.
    sock_path.write_text("keep me")
    rc, out, err = run(a.home, "--server", a.server.address, "daemon", "--socket", str(sock_path))
    assert rc == 1 and "is not a socket" in err, (rc, out, err)
    assert sock_path.read_text() == "keep me"


def test_daemon_without_a_session_or_server_fails_like_any_command(server, home, tmp_path):
    rc, out, err = run(home, "--server", server.address, "daemon", stdin="")
    assert rc == 3 and "not logged in" in err, (rc, out, err)
