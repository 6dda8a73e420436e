"""The messaging issue's must-show story in one test: three users on a real server."""

import re

from conftest import TIME_TEXT


def test_three_users_friends_offline_delivery_presence_history(users, watch_factory):
    a, b, c = users.a, users.b, users.c

    # A and B become friends (add, add); C is not.
    assert a.ok("add", b.id) == f"friend request sent to bob ({b.id})\n"
    assert re.fullmatch(rf"incoming:\n  {a.id} alice  \(since {TIME_TEXT}\)\noutgoing:\n  \(none\)\n",
                        b.ok("requests"))
    assert b.ok("add", a.id) == f"you and alice ({a.id}) are now friends\n"
    assert a.ok("friends") == f"online:\n  (none)\noffline:\n  {b.id} bob\n"
    assert c.ok("friends") == "online:\n  (none)\noffline:\n  (none)\n"
    b.ok("inbox")  # alice's request notice
    a.ok("inbox")  # bob's acceptance notice

    # B is offline; A sends 3 messages; B logs in: inbox prints them in order, then nothing.
    assert b.ok("logout") == "logged out\n"
    ids = [a.jsonl("send", b.id, f"offline {i}")[0]["id"] for i in (1, 2, 3)]
    b.login_again()
    out = b.ok("inbox")
    assert re.fullmatch("".join(rf"\[{TIME_TEXT}\] alice \({a.id}\): offline {i}\n" for i in (1, 2, 3)), out), out
    assert b.ok("inbox") == ""

    # C's send to A is refused with exit code 5.
    rc, out, err = c.run("send", a.id, "hi?")
    assert (rc, out) == (5, "") and err.startswith("occhat: "), (rc, out, err)

    # Presence reaches the friend and never C. (Each watch first gets an item, which proves it is
    # subscribed: B a message, C a friend request from A - a request is not a friendship.)
    wb, wc = watch_factory(b), watch_factory(c)
    a.ok("send", b.id, "are you there?")
    wb.wait_for(lambda e: e.get("type") == "message" and e["text"] == "are you there?")
    a.ok("add", c.id)
    wc.wait_for(lambda e: e.get("type") == "friend_request" and e["from"] == a.id)
    wa = watch_factory(a)
    wb.wait_for(lambda e: e.get("type") == "presence" and e["user"] == a.id and e["online"])
    assert wa.interrupt() == 0
    wb.wait_for(lambda e: e.get("type") == "presence" and e["user"] == a.id and not e["online"])
    assert wb.interrupt() == 0 and wc.interrupt() == 0
    assert [e for e in wc.seen if e.get("type") == "presence"] == [], wc.seen

    # History, both directions, survives a server restart.
    before = b.ok("history", a.id)
    assert [int(m) for m in re.findall(r"^#(\d+) ", before, re.M)] == ids + [ids[-1] + 1], before
    b.ok("send", a.id, "a reply")
    before = b.ok("history", a.id)
    assert "] bob (" in before and "] alice (" in before
    a.server.restart()
    assert b.ok("history", a.id) == before
    assert a.ok("history", b.id) == before
