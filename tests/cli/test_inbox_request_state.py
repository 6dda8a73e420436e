"""`inbox` shows an old friend-request notice with what the request is now: the `occhat add`
hint only while it can still be accepted."""

import re

from conftest import TIME_TEXT


def request_line(sender, tail):
    return rf"\[{TIME_TEXT}\] friend request from {sender.name} \({sender.id}\); {re.escape(tail)}\n"


def test_pending_request_hints_add(users):
    a, b = users.a, users.b
    a.ok("add", b.id)
    out = b.ok("inbox", "--peek")
    assert re.fullmatch(request_line(a, f"accept with: occhat add {a.id}"), out), out


def test_accepted_request_does_not_hint_add(users):
    a, b = users.a, users.b
    a.ok("add", b.id)
    b.ok("add", a.id)  # accepted before bob read his inbox
    out = b.ok("inbox")
    assert re.fullmatch(request_line(a, "you are friends now"), out), out


def test_withdrawn_request_says_so(users):
    a, c = users.a, users.c
    a.ok("add", c.id)
    a.ok("remove", c.id)  # alice withdrew it
    out = c.ok("inbox")
    assert re.fullmatch(request_line(a, "no longer pending"), out), out
