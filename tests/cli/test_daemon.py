"""`occhat daemon` over stdin/stdout (issue 14 §5): a client in plain Python json, no SDK.

Sends and receives through one daemon process, with the same JSON shapes as `occhat ... --json`;
survives a server restart without losing or repeating an event (with acks); answers bad input
with JSON-RPC errors and keeps going."""

import json as jsonlib

from conftest import PASSWORD, TIME_JSON  # noqa: F401  (fixtures below come from conftest)
from daemon_client import daemon_factory  # noqa: F401  (a fixture)


def hello_of(daemon):
    note = daemon.note(what="the hello notification")
    assert note["method"] == "hello", note
    return note["params"]


def test_send_and_receive_through_one_daemon_with_the_cli_json_shapes(friends, daemon_factory):
    a, b = friends.a, friends.b
    d = daemon_factory(a)
    hello = hello_of(d)
    assert hello["schema"] == 1 and hello["connected"] is True, hello
    assert hello["user"] == {"id": a.id, "nick": "alice"}
    assert isinstance(hello["version"], str) and hello["version"]
    assert "send" in d.call("hello")["methods"]

    # alice -> bob through the daemon: the result is `occhat send --json`'s object.
    sent = d.call("send", {"to": b.id, "text": "hello bob"})
    cli_sent = a.jsonl("send", b.id, "second")[0]
    assert list(sent) == list(cli_sent) == ["id", "to", "time", "duplicate"]
    assert sent["to"] == b.id and sent["duplicate"] is False

    # What alice sent (here and from the CLI) comes back as "sent" events (carbons), first.
    assert d.call("subscribe") == {"subscribed": True, "replayed": 2}
    carbons = d.events(2)
    assert [(e["type"], e["text"]) for e in carbons] == [("sent", "hello bob"), ("sent", "second")], carbons
    # bob -> alice: an "event" notification shaped like `watch --json`.
    b.ok("send", a.id, "hi alice")
    [event] = d.events(1)
    assert event["type"] == "message" and event["text"] == "hi alice" and event["from"] == b.id, event
    assert event["version"] == 1 and event["seq"] >= 1
    assert d.call("ack", {"seq": event["seq"]}) == {"acked": event["seq"]}
    # Acknowledged on the server: a one-shot inbox has nothing left.
    assert a.ok("inbox") == ""

    # `inbox` shows what is pending without acknowledging; what it showed may be acknowledged.
    b.ok("send", a.id, "pending")
    [pushed] = d.events(1)
    page = d.call("inbox", {"after": event["seq"]})
    assert page == {"events": [pushed], "more": False}
    assert d.error("ack", {"seq": pushed["seq"] + 1})["code"] == -32602  # not delivered yet
    d.call("ack", {"seq": pushed["seq"]})
    assert d.call("inbox") == {"events": [], "more": False}

    # Lists answer {"<list>": [one element per --json line]}, element for element the same.
    assert d.call("history", {"peer": b.id})["messages"] == a.jsonl("history", b.id)
    assert d.call("friends")["friends"] == a.jsonl("friends")
    assert d.call("whoami") == a.jsonl("whoami")[0]
    assert d.call("find", {"id": b.id}) == a.jsonl("find", b.id)[0]

    # Rooms: create, invite, members, send to the room; bob's event for it arrives at his daemon.
    room = d.call("room.create", {"name": "team"})
    assert room == a.jsonl("rooms")[0]
    assert d.call("room.invite", {"room": room["id"], "users": [b.id]}) == {"ok": True, "room": room["id"],
                                                                          "invited": [b.id]}
    b.ok("room", "join", room["id"])
    members = d.call("room.members", {"room": room["id"]})["members"]
    assert members == a.jsonl("room", "members", room["id"])
    assert [m["id"] for m in members] == sorted([a.id, b.id])
    assert d.call("send", {"room": room["id"], "text": "to the room"})["room"] == room["id"]
    room_events = d.events(2)  # bob joined, then alice's own room message as "sent"
    assert room_events[0]["type"] == "room" and room_events[0]["kind"] == "joined", room_events
    assert room_events[1]["type"] == "sent" and room_events[1]["text"] == "to the room", room_events

    assert d.close_stdin() == 0


def test_files_through_the_daemon(friends, daemon_factory, tmp_path):
    a, b = friends.a, friends.b
    d = daemon_factory(a)
    hello_of(d)
    path = tmp_path / "notes.txt"
    path.write_bytes(b"x" * 5000)
    up = d.call("upload", {"to": b.id, "path": str(path)})
    assert up["name"] == "notes.txt" and up["size"] == 5000 and up["to"] == b.id and up["sent_bytes"] == 5000
    assert d.call("file.info", {"id": up["id"]})["sha256"] == up["sha256"]
    assert d.call("files", {"peer": b.id}) == {"files": a.jsonl("files", b.id), "more": False}
    target = tmp_path / "copy.txt"
    down = d.call("download", {"file": up["id"], "path": str(target)})
    assert down["path"] == str(target) and target.read_bytes() == b"x" * 5000
    err = d.error("download", {"file": up["id"], "path": str(target)})  # exists, no "force"
    assert err["data"] == {"code": "invalid_argument", "exit_code": 1}, err
    assert d.error("download", {"file": up["id"], "path": "-"})["code"] == -32602


def test_account_methods_and_read_markers_through_the_daemon(friends, daemon_factory):
    a, b = friends.a, friends.b
    d = daemon_factory(a)
    hello_of(d)
    assert d.call("nick", {"nick": "alicia"})["nick"] == "alicia"
    assert [f["nick"] for f in b.jsonl("friends") if f["id"] == a.id] == ["alicia"]
    assert d.call("discoverable", {"on": True})["discoverable"] is True
    assert d.call("find.nick", {"nick": "ALI"}) == {"users": [{"id": a.id, "nick": "alicia"}]}
    sessions = d.call("sessions")["sessions"]
    assert [s["current"] for s in sessions].count(True) == 1
    assert {s["id"] for s in sessions} == {s["id"] for s in a.jsonl("sessions")}
    # Unread: bob writes twice; reading through the daemon clears alice's count.
    b.ok("send", a.id, "one")
    b.ok("send", a.id, "two")
    assert [f["unread"] for f in a.jsonl("friends") if f["id"] == b.id] == [2]
    assert d.call("read", {"peer": b.id}) == {"read": True}
    assert [f["unread"] for f in a.jsonl("friends") if f["id"] == b.id] == [0]
    assert d.error("logout", {})["code"] == -32602  # neither session nor all
    err = d.error("passwd", {"current": "wrong password", "new": "another long password"})
    assert err["data"]["code"] == "auth_failed", err
    assert d.call("passwd", {"current": PASSWORD, "new": "another long password"}) == {"changed": True}


def test_bad_input_gets_json_rpc_errors_and_the_daemon_keeps_going(alice, server, tmp_path, daemon_factory):
    from conftest import User
    d = daemon_factory(User(server, "alice", tmp_path / "home-a", alice))
    hello_of(d)

    def raw(line):
        d.send_raw(line)
        return d.answer()

    parse = raw(b"{not json\n")
    assert parse["id"] is None and parse["error"]["code"] == -32700, parse
    assert raw(b"\xff\xfe garbage\n")["error"]["code"] == -32700
    assert raw(b"[1, 2]\n")["error"]["code"] == -32600  # batches: not supported
    assert raw(b'"a string"\n')["error"]["code"] == -32600
    assert raw(b'{"jsonrpc":"1.0","id":7,"method":"hello"}\n') == {
        "jsonrpc": "2.0", "id": 7,
        "error": {"code": -32600, "message": 'invalid request: "jsonrpc" must be "2.0"'}}
    assert raw(b'{"jsonrpc":"2.0","id":8,"method":"hello","params":[1]}\n')["error"]["code"] == -32602

    unknown = d.error("no.such.method")
    assert unknown["code"] == -32601 and "no.such.method" in unknown["message"]

    bad = d.error("send", {"to": "123456", "text": "x"})  # the id must be a number
    assert bad["code"] == -32602 and bad["data"] == {"code": "invalid_argument", "exit_code": 1}, bad
    assert d.error("send", {"to": 123456})["code"] == -32602  # no text
    assert "unknown parameter \"txt\"" in d.error("send", {"to": 123456, "text": "x", "txt": "x"})["message"]
    assert d.error("send", {"to": 123456, "room": 1000001, "text": "x"})["code"] == -32602
    assert d.error("ack", {"seq": 5})["code"] == -32602  # nothing delivered yet

    # occhat errors: -32000 - the error code's number, with its name and the CLI's exit code.
    missing = d.error("find", {"id": 999999})
    assert missing["code"] == -32006 and missing["data"] == {"code": "not_found", "exit_code": 4}, missing

    # A huge line is refused without holding it; the next request is answered normally.
    d.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"send","params":{"text":"' + b"a" * (3 << 20) + b'"}}\n')
    too_long = d.answer()
    assert too_long["id"] is None and too_long["error"]["code"] == -32600, too_long
    assert "longer than" in too_long["error"]["message"]

    # A notification (no id) is run but never answered; the next answer is for the next request.
    d.send_raw(jsonlib.dumps({"jsonrpc": "2.0", "method": "hello"}) + "\n")
    assert d.call_raw("whoami")["result"]["id"] == alice
    assert d.proc.poll() is None
    assert d.close_stdin() == 0
    assert d.stderr() == ""


def test_server_restart_loses_and_repeats_nothing_and_calls_fail_fast_meanwhile(friends, server, daemon_factory):
    a, b = friends.a, friends.b
    d = daemon_factory(a)
    hello_of(d)
    d.call("subscribe")
    texts = [f"before {i}" for i in range(5)]
    for text in texts:
        b.ok("send", a.id, text)
    before = d.events(5)
    assert [e["text"] for e in before] == texts
    # The last two stay unacknowledged over the restart: the server pushes them again on the new
    # connection, and the daemon must not deliver them a second time.
    for e in before[:3]:
        d.call("ack", {"seq": e["seq"]})

    port = server.port
    assert server.stop() == 0
    lost = d.note(lambda n: n["method"] == "connection", what="connection lost")
    assert lost["params"]["state"] == "lost", lost
    # A call while the server is down: a clear error at once, not a hang.
    down = d.error("send", {"to": b.id, "text": "nobody hears"})
    assert down["code"] == -32012 and down["data"] == {"code": "unavailable", "exit_code": 2}, down
    assert d.call("hello")["connected"] is False

    server.start(port)
    restored = d.note(lambda n: n["method"] == "connection", what="connection restored")
    assert restored["params"]["state"] == "restored", restored
    after = [f"after {i}" for i in range(5)]
    for text in after:
        b.ok("send", a.id, text)
    got = d.events(5) + d.quiet_events()
    assert [e["text"] for e in got] == after, got  # none lost, none repeated
    seqs = [e["seq"] for e in before + got]
    assert seqs == sorted(set(seqs))
    d.call("ack", {"seq": before[-1]["seq"]})
    for e in got[:-1]:
        d.call("ack", {"seq": e["seq"]})
    assert d.call("send", {"to": b.id, "text": "back"})["duplicate"] is False
    [carbon] = d.events(1)  # its own message, as a "sent" event (carbon); not acknowledged either
    assert (carbon["type"], carbon["text"]) == ("sent", "back")
    assert d.close_stdin() == 0

    # The last two were not acknowledged: a new daemon delivers them again, and only them.
    d2 = daemon_factory(a)
    hello_of(d2)
    # (Replayed from what the daemon already holds, or pushed right after: either way once.)
    assert d2.call("subscribe")["replayed"] in (0, 1, 2)
    again = d2.events(2)
    assert [(e["seq"], e["text"]) for e in again] == [(got[-1]["seq"], "after 4"), (carbon["seq"], "back")]
    assert d2.quiet_events() == []
    d2.call("ack", {"seq": again[-1]["seq"]})
    assert d2.close_stdin() == 0
    assert a.ok("inbox") == ""


def test_a_revoked_session_ends_the_daemon_with_exit_3(friends, daemon_factory):
    a = friends.a
    d = daemon_factory(a)
    hello_of(d)
    a.ok("logout")  # revokes the token the daemon uses (same home)
    failed = d.note(lambda n: n["method"] == "connection" and n["params"]["state"] == "failed",
                    what="connection failed")
    assert "session expired or revoked" in failed["params"]["message"]
    assert d.proc.wait(timeout=20) == 3
    assert "session expired or revoked" in d.stderr()
