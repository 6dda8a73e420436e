"""Friends: add (request, accept, already), requests, remove, friends; the C-is-not-a-friend rules."""

import json as jsonlib
import re

from conftest import TIME_JSON, TIME_TEXT, assert_one_error_line, befriend, eventually, make_user


def test_add_add_makes_friends_and_requests_lists_pending(users):
    a, b, c = users.a, users.b, users.c
    assert a.ok("add", b.id) == f"friend request sent to bob ({b.id})\n"
    # Asking twice is idempotent: the same answer, still one pending request.
    assert a.ok("add", b.id) == f"friend request sent to bob ({b.id})\n"

    out = a.ok("requests")
    assert re.fullmatch(rf"incoming:\n  \(none\)\noutgoing:\n  {b.id} bob  \(since {TIME_TEXT}\)\n", out), out
    out = b.ok("requests")
    assert re.fullmatch(rf"incoming:\n  {a.id} alice  \(since {TIME_TEXT}\)\noutgoing:\n  \(none\)\n", out), out
    assert c.ok("requests") == "incoming:\n  (none)\noutgoing:\n  (none)\n"

    [req] = a.jsonl("requests")
    assert set(req) == {"direction", "id", "nick", "time"}, req
    assert (req["direction"], req["id"], req["nick"]) == ("outgoing", b.id, "bob")
    assert TIME_JSON.match(req["time"]), req
    [req] = b.jsonl("requests")
    assert (req["direction"], req["id"], req["nick"]) == ("incoming", a.id, "alice")

    # Not friends yet: friends lists are empty and sending is refused.
    assert a.ok("friends") == "online:\n  (none)\noffline:\n  (none)\n"
    assert a.run("send", b.id, "too early")[0] == 5

    # bob's add accepts alice's request.
    assert b.ok("add", a.id) == f"you and alice ({a.id}) are now friends\n"
    assert a.ok("add", b.id) == f"already friends with bob ({b.id})\n"
    assert b.ok("add", a.id) == f"already friends with alice ({a.id})\n"
    for u in (a, b):
        assert u.ok("requests") == "incoming:\n  (none)\noutgoing:\n  (none)\n"
        assert u.jsonl("requests") == []

    assert a.ok("friends") == f"online:\n  (none)\noffline:\n  {b.id} bob\n"
    assert b.ok("friends") == f"online:\n  (none)\noffline:\n  {a.id} alice\n"
    assert c.ok("friends") == "online:\n  (none)\noffline:\n  (none)\n"
    assert a.jsonl("friends") == [{"id": b.id, "nick": "bob", "online": False, "unread": 0}]
    assert b.jsonl("friends") == [{"id": a.id, "nick": "alice", "online": False, "unread": 0}]
    assert c.jsonl("friends") == []


def test_add_json_states(users):
    a, b = users.a, users.b
    assert a.jsonl("add", b.id) == [{"id": b.id, "nick": "bob", "state": "requested"}]
    assert b.jsonl("add", a.id) == [{"id": a.id, "nick": "alice", "state": "friends"}]
    assert a.jsonl("add", b.id) == [{"id": b.id, "nick": "bob", "state": "already_friends"}]


def test_add_errors(users):
    a, b = users.a, users.b
    unknown = next(i for i in range(100000, 1000000) if i not in (a.id, b.id, users.c.id))
    rc, out, err = a.run("add", unknown)
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err)
    rc, out, err = a.run("add", a.id)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err)
    rc, out, err = a.run("add", "not-a-number")
    assert (rc, out) == (1, ""), (rc, out, err)
    rc, out, err = a.run("add", unknown, json=True)
    assert rc == 4 and err == "" and '"not_found"' in out, (rc, out, err)


def test_friend_request_notices_in_inbox(users):
    a, b = users.a, users.b
    a.ok("add", b.id)
    out = b.ok("inbox", "--peek")
    assert re.fullmatch(
        rf"\[{TIME_TEXT}\] friend request from alice \({a.id}\); accept with: occhat add {a.id}\n", out), out
    [event] = b.jsonl("inbox", "--peek")
    assert set(event) == {"version", "type", "seq", "from", "from_nick", "accepted", "time"}, event
    assert event["version"] == 1 and event["type"] == "friend_request"
    assert (event["from"], event["from_nick"], event["accepted"]) == (a.id, "alice", False)
    assert isinstance(event["seq"], int) and event["seq"] >= 1
    assert TIME_JSON.match(event["time"]), event

    b.ok("add", a.id)
    out = a.ok("inbox")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] bob \({b.id}\) accepted your friend request\n", out), out
    assert a.ok("inbox") == ""


def test_remove_ends_friendship_and_withdraws_requests(users):
    a, b, c = users.a, users.b, users.c
    befriend(a, b)
    assert a.ok("send", b.id, "still friends").startswith("sent message ")
    assert a.ok("remove", b.id) == f"removed {b.id}\n"
    assert a.ok("friends") == "online:\n  (none)\noffline:\n  (none)\n"
    assert b.ok("friends") == "online:\n  (none)\noffline:\n  (none)\n"
    rc, out, err = a.run("send", b.id, "after remove")
    assert (rc, out) == (5, ""), (rc, out, err)
    rc, out, err = b.run("send", a.id, "after remove")
    assert (rc, out) == (5, ""), (rc, out, err)
    # Nothing left to remove.
    rc, out, err = a.run("remove", b.id)
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err)

    # A pending request can be withdrawn (by the asker) or declined (by the other user).
    c.ok("add", a.id)
    assert c.jsonl("remove", a.id) == [{"ok": True, "id": a.id}]
    assert a.ok("requests") == "incoming:\n  (none)\noutgoing:\n  (none)\n"
    c.ok("add", a.id)
    assert a.ok("remove", c.id) == f"removed {c.id}\n"
    assert c.ok("requests") == "incoming:\n  (none)\noutgoing:\n  (none)\n"


def test_friends_sorted_online_first_then_by_nick(users, tmp_path, watch_factory):
    a, b, c = users.a, users.b, users.c
    dave = make_user(a.server, tmp_path, "dave")
    for other in (c, b, dave):  # befriended in an order that is not the sorted one
        befriend(other, a)
    assert a.ok("friends") == f"online:\n  (none)\noffline:\n  {b.id} bob\n  {c.id} carol\n  {dave.id} dave\n"
    # dave and carol run long-lived clients: they are online (one-shot commands never are).
    watches = [watch_factory(dave), watch_factory(c)]
    expected = f"online:\n  {c.id} carol\n  {dave.id} dave\noffline:\n  {b.id} bob\n"
    assert eventually(lambda: a.ok("friends"), lambda out: out == expected) == expected
    assert a.jsonl("friends") == [
        {"id": c.id, "nick": "carol", "online": True, "unread": 0},
        {"id": dave.id, "nick": "dave", "online": True, "unread": 0},
        {"id": b.id, "nick": "bob", "online": False, "unread": 0},
    ]
    for w in watches:
        assert w.interrupt() == 0
    expected = f"online:\n  (none)\noffline:\n  {b.id} bob\n  {c.id} carol\n  {dave.id} dave\n"
    assert eventually(lambda: a.ok("friends"), lambda out: out == expected) == expected


def test_friend_commands_need_a_session(server, home):
    for args in (("friends",), ("requests",), ("add", "123456"), ("remove", "123456"),
                 ("send", "123456", "hi"), ("inbox",), ("history", "123456"), ("watch",)):
        rc, out, err = server.run(home, *args)
        assert (rc, out) == (3, ""), (args, rc, out, err)
        assert_one_error_line(err)


def test_repeated_request_leaves_one_notice(server_factory, tmp_path):
    """Friend-request spam (issue 12 item 7): add/remove/add... puts one notice into the other
    user's inbox until they acknowledged it or answered. (Each add after a withdrawal counts
    against --friend-request-rate; raised here so the repetition reaches the store.)"""
    srv = server_factory(extra_args=("--friend-request-rate", "100000", "--friend-request-burst", "1000"))
    a, b = (make_user(srv, tmp_path, n) for n in ("alice", "bob"))
    for _ in range(20):
        assert a.ok("add", b.id) == f"friend request sent to bob ({b.id})\n"
        assert a.ok("remove", b.id) == f"removed {b.id}\n"
    a.ok("add", b.id)
    out = b.ok("requests")
    assert re.fullmatch(rf"incoming:\n  {a.id} alice  \(since {TIME_TEXT}\)\noutgoing:\n  \(none\)\n", out), out
    # `inbox` prints the one notice and acknowledges it...
    out = b.ok("inbox")
    assert re.fullmatch(
        rf"\[{TIME_TEXT}\] friend request from alice \({a.id}\); accept with: occhat add {a.id}\n", out), out
    # ...so the next request is news again, once.
    for _ in range(5):
        a.ok("remove", b.id)
        a.ok("add", b.id)
    [event] = b.jsonl("inbox")
    assert (event["type"], event["from"], event["accepted"]) == ("friend_request", a.id, False)
    # Declining is an answer too.
    a.ok("add", b.id)
    b.ok("remove", a.id)
    a.ok("add", b.id)
    assert len(b.jsonl("inbox")) == 1


def test_add_rate_limited(server_factory, tmp_path):
    # Two at once, then one every 10 s.
    srv = server_factory(extra_args=("--friend-request-rate", "360", "--friend-request-burst", "2"))
    a, b, c, d = (make_user(srv, tmp_path, n) for n in ("alice", "bob", "carol", "dave"))
    a.ok("add", b.id)
    a.ok("add", c.id)
    rc, out, err = a.run("add", d.id)
    assert (rc, out) == (6, ""), (rc, out, err)
    line = assert_one_error_line(err)
    assert re.fullmatch(r"occhat: too many friend requests; retry in ([1-9]|10) s", line), line
    rc, out, err = a.run("add", d.id, json=True)
    assert (rc, err) == (6, ""), (rc, out, err)
    body = jsonlib.loads(out)["error"]
    assert (body["code"], body["exit_code"]) == ("rate_limited", 6), body
    assert 0 < body["retry_after_ms"] <= 10000, body
    assert d.ok("requests") == "incoming:\n  (none)\noutgoing:\n  (none)\n"
    # Accepting is not limited.
    d.ok("add", a.id)
    assert a.ok("add", d.id) == f"you and dave ({d.id}) are now friends\n"
