"""history: both directions, oldest first, --limit/--before pages, survives a server restart."""

import json
import re

from conftest import TIME_JSON, TIME_TEXT, befriend

HISTORY_LINE = re.compile(rf"^#(\d+) \[{TIME_TEXT}\] (\S+) \((\d+)\): (.*)$")


def parse(out):
    rows = []
    for line in out.splitlines():
        m = HISTORY_LINE.match(line)
        assert m, f"not a history line: {line!r}"
        rows.append((int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)))
    return rows


def converse(a, b):
    """Five messages, alternating; returns [(id, sender, text)] in send order."""
    sent = []
    for i, (x, y) in enumerate([(a, b), (b, a), (a, b), (b, a), (a, b)], 1):
        text = f"msg {i} from {x.name}"
        [r] = x.jsonl("send", y.id, text)
        sent.append((r["id"], x, text))
    return sent


def test_both_directions_oldest_first(friends):
    a, b = friends.a, friends.b
    sent = converse(a, b)
    expected = [(mid, x.name, x.id, text) for mid, x, text in sent]
    assert [m[0] for m in expected] == sorted(m[0] for m in expected)
    for me, peer in ((a, b), (b, a)):
        rc, out, err = me.run("history", peer.id)
        assert (rc, err) == (0, ""), (rc, out, err)
        assert parse(out) == expected
    rows = a.jsonl("history", b.id)
    assert [set(r) for r in rows] == [{"id", "from", "from_nick", "to", "text", "time"}] * 5, rows
    assert [(r["id"], r["from"], r["from_nick"], r["text"]) for r in rows] == [
        (mid, x.id, x.name, text) for mid, x, text in sent]
    assert all(r["to"] == (b.id if r["from"] == a.id else a.id) for r in rows)
    assert all(TIME_JSON.match(r["time"]) for r in rows)


def test_only_that_conversation(friends, tmp_path):
    a, b, c = friends.a, friends.b, friends.c
    befriend(a, c)
    a.ok("send", b.id, "to bob")
    a.ok("send", c.id, "to carol")
    assert [r["text"] for r in a.jsonl("history", b.id)] == ["to bob"]
    assert [r["text"] for r in a.jsonl("history", c.id)] == ["to carol"]
    assert b.ok("history", c.id) == ""  # bob and carol never talked


def test_pagination_with_limit_and_before(friends):
    a, b = friends.a, friends.b
    ids = [mid for mid, _, _ in converse(a, b)]

    rc, out, err = a.run("history", b.id, "--limit", "2")
    assert rc == 0 and [r[0] for r in parse(out)] == ids[3:5], (out, err)
    assert err == f"(older: occhat history {b.id} --before {ids[3]})\n", err

    rc, out, err = a.run("history", b.id, "--limit", "2", "--before", ids[3])
    assert rc == 0 and [r[0] for r in parse(out)] == ids[1:3], (out, err)
    assert err == f"(older: occhat history {b.id} --before {ids[1]})\n", err

    rc, out, err = a.run("history", b.id, "--limit", "2", "--before", ids[1])
    assert (rc, err) == (0, "") and [r[0] for r in parse(out)] == ids[0:1], (out, err)

    # The cursor is stable: new messages do not shift an older page.
    a.ok("send", b.id, "newer")
    rc, out, err = a.run("history", b.id, "--limit", "2", "--before", ids[3])
    assert [r[0] for r in parse(out)] == ids[1:3], out

    # --json: the same page as objects, then where the older page starts; nothing on stderr.
    rc, out, err = a.run("history", b.id, "--limit", "2", "--before", ids[3], json=True)
    assert (rc, err) == (0, ""), (rc, out, err)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in lines[:2]] == [int(i) for i in ids[1:3]], out
    assert lines[2] == {"more": {"before": int(ids[1]), "command": f"occhat history {b.id} --before {ids[1]}"}}, out

    # Fewer than `limit` older messages: no "older" hint.
    rc, out, err = a.run("history", b.id, "--limit", "5", "--before", ids[4])
    assert (rc, err) == (0, "") and [r[0] for r in parse(out)] == ids[0:4], (out, err)


def test_bad_limit_is_exit_1(friends):
    a, b = friends.a, friends.b
    for bad in ("abc", "-1", "501"):
        rc, out, err = a.run("history", b.id, "--limit", bad)
        assert (rc, out) == (1, ""), (bad, rc, out, err)


def test_history_survives_a_restart(friends):
    a, b = friends.a, friends.b
    converse(a, b)
    before_a = a.ok("history", b.id)
    before_b = b.ok("history", a.id)
    assert len(before_a.splitlines()) == 5
    a.server.restart()
    assert a.ok("history", b.id) == before_a
    assert b.ok("history", a.id) == before_b
    # And the conversation goes on with higher ids.
    [r] = a.jsonl("send", b.id, "after restart")
    assert r["id"] > parse(before_a)[-1][0]
    assert parse(a.ok("history", b.id))[-1][3] == "after restart"
