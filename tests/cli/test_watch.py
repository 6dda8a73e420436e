"""watch: live events, presence to friends only, acknowledgement, the kill-in-the-backlog test,
reconnecting after a server restart, keepalive/idle timeout, signals."""

import fcntl
import json
import re
import shutil
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

import pytest

from conftest import TIME_JSON, TIME_TEXT, User, befriend, eventually, free_port, make_user


def is_message(text=None):
    return lambda e: e.get("type") == "message" and (text is None or e.get("text") == text)


def exit_code_of(watch, what, timeout=10):
    """The exit status of a watch expected to exit by itself; fails the test if it keeps running."""
    try:
        return watch.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"watch {what} kept running; stderr {watch.stderr()!r}")


def is_presence(user, online):
    return lambda e: e.get("type") == "presence" and e.get("user") == user.id and e.get("online") is online


def test_presence_reaches_friends_and_never_others(friends, watch_factory):
    a, b, c = friends.a, friends.b, friends.c
    wb = watch_factory(b)
    wc = watch_factory(c)
    # One-shot commands do their work without announcing presence.
    a.ok("friends")
    a.ok("send", b.id, "from a one-shot command")
    wb.wait_for(is_message("from a one-shot command"), what="the message")  # bob is subscribed now
    # A pending request is not a friendship: carol gets the request (so her watch is subscribed),
    # but never alice's or bob's presence.
    a.ok("add", c.id)
    req = wc.wait_for(lambda e: e.get("type") == "friend_request", what="alice's friend request")
    assert (req["from"], req["from_nick"], req["accepted"]) == (a.id, "alice", False)

    wa = watch_factory(a)  # alice's first long-lived client: she comes online
    online = wb.wait_for(is_presence(a, True), what="alice's presence (online)")
    assert set(online) == {"version", "type", "user", "nick", "online", "time"}, online
    assert online["version"] == 1 and online["nick"] == "alice" and TIME_JSON.match(online["time"])
    # The one-shot commands before did not make her flicker.
    assert [e for e in wb.seen if e.get("type") == "presence"] == [online], wb.seen
    expected = [{"id": a.id, "nick": "alice", "online": True, "unread": 1}]  # "from a one-shot command"
    assert eventually(lambda: b.jsonl("friends"), lambda v: v == expected) == expected

    assert wa.interrupt() == 0  # her last long-lived client leaves
    offline = wb.wait_for(is_presence(a, False), what="alice's presence (offline)")
    assert offline["nick"] == "alice"
    assert b.jsonl("friends") == [{"id": a.id, "nick": "alice", "online": False, "unread": 1}]

    time.sleep(0.5)  # anything wrongly pushed to carol has arrived by now
    assert wc.interrupt() == 0
    assert wb.interrupt() == 0
    assert not [e for e in wc.seen if e.get("type") == "presence"], wc.seen
    # Nobody gets their own presence; alice saw bob's only if it changed while she watched.
    assert not [e for e in wb.seen if e.get("type") == "presence" and e.get("user") == b.id], wb.seen
    assert not [e for e in wa.seen if e.get("type") == "presence" and e.get("user") == a.id], wa.seen


def test_watch_text_format(friends, watch_factory):
    a, b, c = friends.a, friends.b, friends.c
    wb = watch_factory(b, json=False)
    a.ok("send", b.id, "plain text line")
    line = wb.wait_for(lambda s: "plain text line" in s, what="the message")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\): plain text line", line), line
    wa = watch_factory(a)
    line = wb.wait_for(lambda s: "is online" in s, what="alice online")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\) is online", line), line
    assert wa.interrupt() == 0
    line = wb.wait_for(lambda s: "is offline" in s, what="alice offline")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\) is offline", line), line
    c.ok("add", b.id)
    line = wb.wait_for(lambda s: "friend request" in s, what="carol's request")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] friend request from carol \({c.id}\); accept with: occhat add {c.id}",
                        line), line
    assert wb.interrupt() == 0


def test_watch_prints_the_backlog_then_live_and_acknowledges(friends, watch_factory, tmp_path):
    a, b = friends.a, friends.b
    for text in ("missed 1", "missed 2"):
        a.ok("send", b.id, text)
    w = watch_factory(b)
    w.wait_for(is_message("missed 2"), what="the backlog")
    a.ok("send", b.id, "live")
    w.wait_for(is_message("live"), what="the live message")
    assert [e["text"] for e in w.seen if e["type"] == "message"] == ["missed 1", "missed 2", "live"]
    time.sleep(1)  # watch acknowledges after 200 ms of quiet
    assert w.interrupt() == 0
    # Acknowledged on the server (another device of bob has nothing) and in the cursor.
    second = tmp_path / "bob-device-2"
    b.server.login(second, b.id)
    assert b.server.run(second, "inbox") == (0, "", "")
    assert b.ok("inbox") == ""
    # A new watch starts where the last one stopped.
    w2 = watch_factory(b)
    a.ok("send", b.id, "next")
    w2.wait_for(is_message("next"), what="the next message")
    assert [e["text"] for e in w2.seen if e["type"] == "message"] == ["next"]
    assert w2.interrupt(signal.SIGTERM) == 0


def pipe_bytes(fd):
    buf = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
    return struct.unpack("i", buf)[0]


def test_kill_in_the_middle_of_a_1000_message_backlog(friends, watch_factory):
    a, b = friends.a, friends.b
    n = 1000
    texts = [f"backlog message {i:04d}" for i in range(1, n + 1)]
    out = a.ok("send", b.id, "--stdin", "--client-id", "kill-test", stdin="\n".join(texts) + "\n", timeout=120)
    assert len(out.splitlines()) == n, out[-500:]

    # Nobody reads this watch's stdout: the pipe fills and it blocks in the middle of the backlog.
    w1 = watch_factory(b, read=False)
    fd = w1.proc.stdout.fileno()
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert w1.proc.poll() is None, f"watch exited early: rc {w1.proc.returncode}, stderr {w1.stderr()!r}"
        now = pipe_bytes(fd)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif now > 32768 and time.monotonic() - stable_since > 1.0:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the watch's stdout pipe never filled up ({last} bytes)")
    w1.proc.send_signal(signal.SIGKILL)
    w1.proc.wait(timeout=10)
    first = [e for e in w1.finish() if e.get("type") == "message"]
    assert 0 < len(first) < n, len(first)

    w2 = watch_factory(b)
    seen_ids = {e["id"] for e in first}
    second = []
    while len(seen_ids) < n:
        e = w2.wait_for(is_message(), what=f"message {len(seen_ids) + 1} of {n}")
        second.append(e)
        seen_ids.add(e["id"])
    second += [e for e in w2.collect(quiet=1.0) if e.get("type") == "message"]  # no extra repeats
    assert w2.interrupt() == 0

    everything = first + second
    got = [e["text"] for e in everything]
    repeats = len(got) - len(set(got))
    assert repeats == 0, f"{repeats} messages shown twice (first run printed {len(first)})"
    assert got == texts, "not every message arrived exactly once, in order"
    seqs = [e["seq"] for e in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == n
    assert b.ok("inbox") == ""


def test_watch_reconnects_after_a_server_restart(friends, watch_factory):
    a, b = friends.a, friends.b
    w = watch_factory(b)
    a.ok("send", b.id, "before the restart")
    w.wait_for(is_message("before the restart"))
    a.server.restart(same_port=True)
    w.wait_stderr("occhat: connection lost; reconnecting in ")
    a.ok("send", b.id, "after the restart")
    w.wait_for(is_message("after the restart"), timeout=30, what="the message sent after the restart")
    w.wait_stderr("occhat: reconnected")
    assert [e["text"] for e in w.seen if e.get("type") == "message"] == ["before the restart", "after the restart"]
    for line in w.stderr().splitlines():
        assert re.fullmatch(r"occhat: (connection lost; reconnecting in [0-9.]+ s|reconnected)", line), line
    assert w.interrupt() == 0


def test_watch_keeps_retrying_while_the_server_is_down(friends, watch_factory):
    a, b = friends.a, friends.b
    w = watch_factory(b)
    a.ok("send", b.id, "hello")
    w.wait_for(is_message("hello"))
    port = a.server.port
    assert a.server.stop() == 0
    w.wait_stderr("occhat: connection lost; reconnecting in ")
    time.sleep(2.5)  # a few failed attempts (0.5 s, 1 s, ...)
    assert w.proc.poll() is None, w.stderr()
    a.server.start(port)
    a.ok("send", b.id, "back again")
    w.wait_for(is_message("back again"), timeout=30)
    w.wait_stderr("occhat: reconnected")
    assert w.interrupt() == 0


def test_dead_peer_goes_offline_by_idle_timeout(server_factory, tmp_path, watch_factory):
    srv = server_factory(extra_args=["--idle-timeout-seconds", "15"])
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    wb = watch_factory(b)
    wb.wait_for(lambda e: e.get("type") == "friend_request", what="the backlog")  # subscribed
    wa = watch_factory(a)
    wb.wait_for(is_presence(a, True), what="alice online")
    wa.proc.send_signal(signal.SIGSTOP)  # a dead peer: no FIN, no pings
    try:
        start = time.monotonic()
        wb.wait_for(is_presence(a, False), timeout=30, what="alice offline after the idle timeout")
        assert time.monotonic() - start >= 3, "went offline before the idle timeout"
    finally:
        wa.proc.send_signal(signal.SIGCONT)
    # Resumed, her watch finds its connection closed (possibly in the middle of its first
    # subscribe, if the stop landed there), reconnects and is online again.
    wb.wait_for(is_presence(a, True), timeout=30, what="alice back online after SIGCONT")
    wa.wait_stderr("occhat: reconnected")
    assert wa.interrupt() == 0
    assert wb.interrupt() == 0


def test_watch_stopped_while_starting_recovers(server_factory, tmp_path, watch_factory):
    """A watch frozen (SIGSTOP) in the middle of its first resume/subscribe finds its connection
    closed by the idle timeout when it resumes: it must reconnect, not exit with 2."""
    srv = server_factory(extra_args=["--idle-timeout-seconds", "2"])
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    wb = watch_factory(b)
    wb.wait_for(lambda e: e.get("type") == "friend_request", what="the backlog")
    for delay in (0.0, 0.005, 0.01):  # where the stop lands in the start-up varies with load
        wa = watch_factory(a)
        time.sleep(delay)
        wa.proc.send_signal(signal.SIGSTOP)
        time.sleep(3.5)
        wa.proc.send_signal(signal.SIGCONT)
        try:
            wb.wait_for(is_presence(a, True), timeout=30, what=f"alice online (stopped after {delay} s)")
        except pytest.fail.Exception as failure:
            # Say what alice's watch was doing: exited (and why) or still running.
            pytest.fail(f"{failure}; alice's watch: rc {wa.proc.poll()}, stderr {wa.stderr()!r}")
        assert wa.proc.poll() is None, wa.stderr()
        assert wa.interrupt() == 0
        wb.wait_for(is_presence(a, False), what="alice offline after Ctrl-C")


class DropFirstConnection:
    """A TCP relay to `target` (HOST:PORT) that accepts the first connection, reads the client's
    first bytes (its hello) and closes it unanswered, as the server does with a client that stalled
    in its handshake; every later connection is relayed both ways."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.accepted = 0
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self.sockets.append(client)
            if self.accepted == 1:
                client.recv(1)
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        for s in self.sockets:
            s.close()


def test_watch_retries_a_first_connection_lost_in_its_handshake(friends, watch_factory):
    """Deterministic form of the SIGSTOP test above: the server closes the first connection before
    answering the hello. The watch connects again at once instead of exiting 2."""
    a, b = friends.a, friends.b
    wb = watch_factory(b)
    # Presence is pushed to subscribed watches only (no snapshot yet): bob's watch must be
    # subscribed before alice comes online, or the test races it (seen on a loaded machine).
    a.ok("send", b.id, "before the relay")
    wb.wait_for(is_message("before the relay"), what="the message")  # bob is subscribed now
    relay = DropFirstConnection(a.server.address)
    try:
        wa = watch_factory(a, server=relay.address)
        wb.wait_for(is_presence(a, True), what="alice online through the relay")
        assert relay.accepted == 2 and wa.proc.poll() is None, (relay.accepted, wa.stderr())
        a.ok("send", b.id, "after the retry")
        wb.wait_for(is_message("after the retry"))
        assert wa.interrupt() == 0
        assert wa.stderr() == ""  # the one quick retry is not worth a notice
    finally:
        relay.close()


def test_watch_exits_2_when_the_server_cannot_be_reached_at_start(friends, watch_factory):
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    for json_mode in (False, True):
        w = watch_factory(friends.a, json=json_mode, server=address)
        rc = exit_code_of(w, "against a closed port")
        assert rc == 2, (rc, w.stderr())
        seen = w.finish()
        if json_mode:
            assert seen[0]["error"]["exit_code"] == 2 and address in seen[0]["error"]["message"], seen
        else:
            assert w.stderr().startswith(f"occhat: cannot reach server {address}"), w.stderr()


def test_live_watch_is_not_cut_by_the_idle_timeout(server_factory, tmp_path, watch_factory):
    """Keepalive pings keep a quiet connection open across the server's idle timeout."""
    srv = server_factory(extra_args=["--idle-timeout-seconds", "15"])
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    wb = watch_factory(b)
    wb.wait_for(lambda e: e.get("type") == "friend_request", what="the backlog")  # subscribed
    wa = watch_factory(a)
    wb.wait_for(is_presence(a, True))
    time.sleep(20)
    assert "connection lost" not in wa.stderr() + wb.stderr()
    assert not [e for e in wb.seen if is_presence(a, False)(e)]
    a.ok("send", b.id, "still here")
    wb.wait_for(is_message("still here"))
    assert wa.interrupt() == 0 and wb.interrupt() == 0


def test_watch_exits_promptly_on_sigint_and_sigterm(friends, watch_factory):
    for sig in (signal.SIGINT, signal.SIGTERM):
        w = watch_factory(friends.b)
        a = friends.a
        a.ok("send", friends.b.id, f"ping {sig}")
        w.wait_for(is_message(f"ping {sig}"))
        start = time.monotonic()
        assert w.interrupt(sig, timeout=3) == 0
        assert time.monotonic() - start < 1.5


def test_watch_with_a_revoked_token_exits_3(friends, watch_factory, tmp_path):
    b = friends.b
    copy = tmp_path / "bob-copy"
    copy.mkdir(mode=0o700)
    shutil.copy(b.home / "session.json", copy / "session.json")
    (copy / "session.json").chmod(0o600)
    assert b.ok("logout") == "logged out\n"  # revokes the token both homes hold
    bob_copy = User(b.server, "bob-copy", copy, b.id)
    for json_mode in (False, True):
        w = watch_factory(bob_copy, json=json_mode)
        rc = exit_code_of(w, "with a revoked token")
        assert rc == 3, (rc, w.stderr())
        seen = w.finish()
        if json_mode:  # the error is one JSON object on stdout
            assert w.stderr() == "" and len(seen) == 1, (seen, w.stderr())
            assert (seen[0]["error"]["code"], seen[0]["error"]["exit_code"]) == ("unauthenticated", 3), seen
        else:
            assert seen == [] and w.stderr().startswith("occhat: ") and w.stderr().count("\n") == 1, w.stderr()


def test_watch_json_is_one_object_per_line(friends, watch_factory):
    a, b = friends.a, friends.b
    w = watch_factory(b, json=False)  # read raw lines, parse here
    a.ok("send", b.id, "multi\nline \"quoted\" text")
    line = w.wait_for(lambda s: "multi" in s)
    assert "\n" not in line
    assert w.interrupt() == 0
    wj = watch_factory(b)
    a.ok("send", b.id, "json one")
    event = wj.wait_for(is_message("json one"))
    assert json.loads(json.dumps(event)) == event
    assert event["seq"] > 0 and event["from"] == a.id and event["to"] == b.id
    assert wj.interrupt() == 0
