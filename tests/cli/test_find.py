"""occhat find ID: id and nick; email only for one's own id."""

import random

import pytest

from conftest import assert_json_error, assert_one_error_line, parse_json


@pytest.fixture
def bob(server, home2):
    return server.register(home2, "bob@example.org", "bob")


def test_find_other_text(server, home, alice, bob):
    rc, out, err = server.run(home, "find", str(bob))
    assert (rc, out, err) == (0, f"{bob} bob\n", "")


def test_find_other_json_has_no_email(server, home, alice, bob):
    rc, out, err = server.run(home, "find", str(bob), json=True)
    assert (rc, err) == (0, "")
    assert parse_json(out) == {"id": bob, "nick": "bob"}


def test_find_self_json_has_email(server, home, alice):
    rc, out, err = server.run(home, "find", str(alice), json=True)
    assert (rc, err) == (0, "")
    assert parse_json(out) == {"id": alice, "nick": "alice", "email": "alice@example.org"}


def test_find_each_other(server, home, home2, alice, bob):
    server.login(home2, bob)
    assert server.run(home, "find", str(bob))[1] == f"{bob} bob\n"
    assert server.run(home2, "find", str(alice))[1] == f"{alice} alice\n"


def test_find_unknown_id(server, home, alice):
    unknown = alice
    while unknown == alice:
        unknown = random.randint(100000, 999999)
    rc, out, err = server.run(home, "find", str(unknown))
    assert rc == 4 and out == ""
    assert_one_error_line(err)


def test_find_unknown_id_json(server, home, alice):
    unknown = 100000 if alice != 100000 else 100001
    rc, out, err = server.run(home, "find", str(unknown), json=True)
    assert rc == 4
    assert_json_error(out, err, "not_found", 4)


@pytest.mark.parametrize("user_id", ["bob", "12x456", "-5"])
def test_find_non_numeric_id(server, home, alice, user_id):
    rc, out, err = server.run(home, "find", user_id)
    assert rc == 1, (out, err)
    assert out == "" and err.strip()


def test_find_missing_id(server, home, alice):
    rc, out, err = server.run(home, "find")
    assert rc == 1, (out, err)


def test_find_not_logged_in(server, home, bob):
    rc, out, err = server.run(home, "find", str(bob))
    assert rc == 3 and out == ""
    assert_one_error_line(err, "not logged in (run: occhat login ID)")
