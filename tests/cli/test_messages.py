"""send: to friends only, text rules, --json, --stdin, and retries with --client-id stored once."""

import re

from conftest import TIME_JSON, TIME_TEXT, assert_json_error, assert_one_error_line, befriend, make_user

SENT = re.compile(r"^sent message (\d+)$")


def sent_id(out):
    m = SENT.match(out.rstrip("\n"))
    assert m and out.count("\n") == 1, out
    return int(m.group(1))


def test_send_to_a_friend(friends):
    a, b = friends.a, friends.b
    first = sent_id(a.ok("send", b.id, "hello bob"))
    [result] = a.jsonl("send", b.id, "second")
    assert set(result) == {"id", "to", "time", "duplicate"}, result
    assert result["id"] > first and result["to"] == b.id and result["duplicate"] is False
    assert TIME_JSON.match(result["time"]), result
    reply = sent_id(b.ok("send", a.id, "hi alice"))
    assert reply > result["id"]
    out = b.ok("inbox")
    # Bob's own message is in his inbox too (a carbon, for his other devices).
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\): hello bob\n\[{TIME_TEXT}\] alice \({a.id}\): second\n"
                        rf"\[{TIME_TEXT}\] bob \({b.id}\) to alice \({a.id}\): hi alice\n", out), out
    out = a.ok("inbox")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\) to bob \({b.id}\): hello bob\n"
                        rf"\[{TIME_TEXT}\] alice \({a.id}\) to bob \({b.id}\): second\n"
                        rf"\[{TIME_TEXT}\] bob \({b.id}\): hi alice\n", out), out


def test_non_friend_is_refused_with_exit_5(friends):
    a, c = friends.a, friends.c
    rc, out, err = c.run("send", a.id, "let me in")
    assert (rc, out) == (5, ""), (rc, out, err)
    line = assert_one_error_line(err)
    assert str(a.id) in line and "friend" in line, line
    rc, out, err = c.run("send", a.id, "let me in", json=True)
    assert rc == 5
    assert_json_error(out, err, "not_allowed", 5)
    # Nothing was stored for alice.
    assert a.ok("inbox") == ""
    assert a.ok("history", c.id) == ""


def test_unknown_recipient_is_exit_4(friends):
    a = friends.a
    taken = {friends.a.id, friends.b.id, friends.c.id}
    unknown = next(i for i in range(999999, 100000, -1) if i not in taken)
    rc, out, err = a.run("send", unknown, "anyone there?")
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err)


def test_bad_texts_are_exit_1(friends):
    a, b = friends.a, friends.b
    cases = {
        "empty": "",
        "invalid UTF-8": b"\xff\xfe bad bytes",
        "truncated UTF-8": b"caf\xc3",
        "too long (8193 bytes)": "x" * 8193,
        "too long in UTF-8 bytes": "\u00e9" * 4097,  # 4097 code points, 8194 bytes
    }
    for what, text in cases.items():
        rc, out, err = a.run("send", b.id, text)
        assert (rc, out) == (1, ""), (what, rc, out, err)
        assert_one_error_line(err)
    rc, out, err = a.run("send", a.id, "to myself")
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err)
    rc, out, err = a.run("send", b.id, "both", "--stdin", stdin="line\n")
    assert (rc, out) == (1, ""), (rc, out, err)
    rc, out, err = a.run("send", b.id, "x" * 8193, json=True)
    assert rc == 1
    assert_json_error(out, err, "invalid_argument", 1)
    # None of them was stored; the longest allowed text is.
    assert b.ok("inbox") == ""
    sent_id(a.ok("send", b.id, "y" * 8192))
    [event] = b.jsonl("inbox")
    assert event["text"] == "y" * 8192


def test_retry_with_same_client_id_stores_one_message(friends):
    a, b = friends.a, friends.b
    first = sent_id(a.ok("send", b.id, "exactly once", "--client-id", "retry-1"))
    assert a.ok("send", b.id, "exactly once", "--client-id", "retry-1") == f"already sent: message {first}\n"
    [again] = a.jsonl("send", b.id, "exactly once", "--client-id", "retry-1")
    assert (again["id"], again["duplicate"]) == (first, True), again
    # Another client id is another message.
    other = sent_id(a.ok("send", b.id, "exactly once", "--client-id", "retry-2"))
    assert other != first
    history = a.jsonl("history", b.id)
    assert [m["id"] for m in history] == [first, other], history
    events = b.jsonl("inbox")
    assert [(e["type"], e["id"], e["text"]) for e in events] == [
        ("message", first, "exactly once"), ("message", other, "exactly once")]


def test_send_stdin_one_line_per_message(friends):
    a, b = friends.a, friends.b
    out = a.ok("send", b.id, "--stdin", stdin="one\n\ntwo\r\nthree")
    lines = out.splitlines()
    assert len(lines) == 3, out
    ids = [sent_id(line + "\n") for line in lines]
    assert ids == sorted(ids) and len(set(ids)) == 3
    texts = [e["text"] for e in b.jsonl("inbox")]
    assert texts[0] == "one" and texts[2] == "three" and texts[1] in ("two", "two\r"), texts

    # With --client-id, line k is CID:k, so re-running the same input stores nothing new.
    out1 = a.jsonl("send", b.id, "--stdin", "--client-id", "batch", stdin="x\ny\nz\n")
    out2 = a.jsonl("send", b.id, "--stdin", "--client-id", "batch", stdin="x\ny\nz\n")
    assert [r["duplicate"] for r in out1] == [False] * 3
    assert [r["duplicate"] for r in out2] == [True] * 3
    assert [r["id"] for r in out1] == [r["id"] for r in out2]
    assert [e["text"] for e in b.jsonl("inbox")] == ["x", "y", "z"]
    # A single send with the id of line 2 is recognised as that message.
    [dup] = a.jsonl("send", b.id, "y", "--client-id", "batch:2")
    assert (dup["id"], dup["duplicate"]) == (out1[1]["id"], True)


def test_send_stdin_stops_at_first_error(friends):
    a, b = friends.a, friends.b
    rc, out, err = a.run("send", b.id, "--stdin", stdin="fine\n" + "z" * 9000 + "\nnever sent\n")
    assert rc == 1, (rc, out, err)
    assert len(out.splitlines()) == 1 and SENT.match(out.splitlines()[0]), out
    assert_one_error_line(err)
    assert [e["text"] for e in b.jsonl("inbox")] == ["fine"]


def test_send_stdin_is_paced_by_the_servers_rate_limit(server_factory, tmp_path):
    # 5 messages at once, then 20 a second: 40 lines are over the limit most of the way, yet
    # every line is sent (the CLI waits as long as the server says), once and in order.
    srv = server_factory(extra_args=("--message-rate", "20", "--message-burst", "5"))
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    lines = [f"line {k}" for k in range(1, 41)]
    sent = a.jsonl("send", b.id, "--stdin", stdin="\n".join(lines) + "\n")
    assert [r["duplicate"] for r in sent] == [False] * 40
    ids = [r["id"] for r in sent]
    assert ids == sorted(ids) and len(set(ids)) == 40
    messages = [e for e in b.jsonl("inbox") if e["type"] == "message"]
    assert [m["text"] for m in messages] == lines


def test_send_fails_with_exit_6_when_the_wait_would_be_too_long(server_factory, tmp_path):
    # One message a minute: the second send would have to wait ~60 s, more than the CLI's 30 s.
    srv = server_factory(extra_args=("--message-rate", "0.0167", "--message-burst", "1"))
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    sent_id(a.ok("send", b.id, "first"))
    rc, out, err = a.run("send", b.id, "second", json=True)
    error = assert_json_error(out, err, "rate_limited", 6)
    assert error["retry_after_ms"] > 30000, error
    # The message's figure is rounded up, never telling the user to retry too early.
    seconds = float(re.fullmatch(r"too many messages; retry in (\d+\.\d) s", error["message"]).group(1))
    assert seconds * 1000 >= error["retry_after_ms"], error


def test_text_output_escapes_control_characters(friends):
    a, b = friends.a, friends.b
    raw = "two\nlines\tand a tab, bell \x07 and DEL \x7f"
    sent_id(a.ok("send", b.id, raw))
    [event] = b.jsonl("inbox", "--peek")
    assert event["text"] == raw  # JSON carries the raw text
    out = b.ok("inbox")
    assert out.count("\n") == 1, out
    assert out.endswith(": two\\nlines\tand a tab, bell \\x07 and DEL \\x7f\n"), out
    out = b.ok("history", a.id)
    assert out.count("\n") == 1 and "two\\nlines\tand" in out, out


def test_unicode_round_trips(friends):
    a, b = friends.a, friends.b
    text = "grüße, 你好, 👋"
    sent_id(a.ok("send", b.id, text))
    out = b.ok("inbox", "--peek")
    assert out.endswith(f"alice ({a.id}): {text}\n"), out
    [event] = b.jsonl("inbox")
    assert event["text"] == text
