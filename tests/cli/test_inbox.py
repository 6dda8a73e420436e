"""Offline delivery through `inbox`: in order, acknowledged once, --peek, --limit, the cursor."""

import re

from conftest import TIME_JSON, TIME_TEXT


def message_line(sender, text):
    return rf"\[{TIME_TEXT}\] {sender.name} \({sender.id}\): {re.escape(text)}\n"


def test_offline_messages_arrive_in_order_once(friends):
    a, b = friends.a, friends.b
    assert b.ok("logout") == "logged out\n"  # bob is away
    texts = ["first", "second", "third"]
    for text in texts:
        assert a.ok("send", b.id, text).startswith("sent message ")
    b.login_again()
    out = b.ok("inbox")
    assert re.fullmatch("".join(message_line(a, t) for t in texts), out), out
    assert b.ok("inbox") == ""
    assert b.jsonl("inbox") == []


def test_inbox_json_schema(friends):
    a, b = friends.a, friends.b
    [sent] = a.jsonl("send", b.id, "schema")
    [event] = b.jsonl("inbox")
    assert set(event) == {"version", "type", "seq", "id", "from", "from_nick", "to", "text", "time"}, event
    assert event["version"] == 1 and event["type"] == "message"
    assert (event["id"], event["from"], event["from_nick"], event["to"], event["text"]) == (
        sent["id"], a.id, "alice", b.id, "schema")
    assert event["time"] == sent["time"] and TIME_JSON.match(event["time"]), (event, sent)
    assert isinstance(event["seq"], int) and event["seq"] > 1  # the friend-request notice came first


def test_peek_does_not_acknowledge(friends):
    a, b = friends.a, friends.b
    for text in ("p1", "p2", "p3"):
        a.ok("send", b.id, text)
    peeked = b.ok("inbox", "--peek")
    assert len(peeked.splitlines()) == 3, peeked
    assert b.ok("inbox", "--peek") == peeked
    assert [e["text"] for e in b.jsonl("inbox", "--peek")] == ["p1", "p2", "p3"]
    assert b.ok("inbox") == peeked
    assert b.ok("inbox", "--peek") == ""


def test_limit(friends):
    a, b = friends.a, friends.b
    for text in ("l1", "l2", "l3"):
        a.ok("send", b.id, text)
    assert [e["text"] for e in b.jsonl("inbox", "--limit", "2")] == ["l1", "l2"]
    assert [e["text"] for e in b.jsonl("inbox", "--limit", "2")] == ["l3"]
    assert b.jsonl("inbox") == []
    for bad in ("-1", "abc"):
        rc, out, err = b.run("inbox", "--limit", bad)
        assert rc == 1 and out == "", (bad, rc, out, err)


def test_seq_increases_across_kinds(users):
    a, b, c = users.a, users.b, users.c
    a.ok("add", b.id)
    c.ok("add", b.id)
    b.ok("add", a.id)
    a.ok("send", b.id, "after friendship")
    events = b.jsonl("inbox")
    assert [e["type"] for e in events] == ["friend_request", "friend_request", "message"], events
    assert [e.get("from") for e in events] == [a.id, c.id, a.id]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3, seqs


def test_acknowledged_on_the_server_not_only_in_the_cursor(friends, tmp_path):
    """A second device of bob (another --home, so another cursor file) sees nothing that the
    first one already printed: inbox acknowledges on the server."""
    a, b = friends.a, friends.b
    a.ok("send", b.id, "read on device 1")
    assert "read on device 1" in b.ok("inbox")
    other_home = tmp_path / "bob-second-device"
    b.server.login(other_home, b.id)
    assert b.server.run(other_home, "inbox") == (0, "", "")


def test_cursor_file(friends):
    a, b = friends.a, friends.b
    a.ok("send", b.id, "cursor me")
    [event] = b.jsonl("inbox", "--peek")
    b.ok("inbox")
    cursor = (b.home / "cursor").read_text()
    assert cursor == f"{b.id} {event['seq']}\n", cursor
