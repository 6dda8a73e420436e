"""occhat register: prints a new 6-digit id; validation errors are usage errors (exit 1)."""

import re

import pytest

from conftest import PASSWORD, assert_json_error, assert_one_error_line, parse_json


def register(server, home, email, nick, password=PASSWORD, json=False):
    return server.run(home, "register", "--email", email, "--nick", nick, "--password-stdin",
                      stdin=password + "\n", json=json)


def test_register_prints_six_digit_id(server, home):
    rc, out, err = register(server, home, "a@x", "alice")
    assert (rc, err) == (0, "")
    assert re.fullmatch(r"\d{6}\n", out), repr(out)
    assert 100000 <= int(out) <= 999999


def test_register_json(server, home):
    rc, out, err = register(server, home, "a@x", "alice", json=True)
    assert (rc, err) == (0, "")
    value = parse_json(out)
    assert value == {"id": value["id"], "nick": "alice", "email": "a@x"}
    assert isinstance(value["id"], int) and 100000 <= value["id"] <= 999999


def test_ids_are_unique(server, home):
    ids = {server.register(home, f"user{i}@x", f"user{i}") for i in range(5)}
    assert len(ids) == 5


def test_register_does_not_log_in(server, home):
    server.register(home)
    rc, out, err = server.run(home, "whoami")
    assert rc == 3 and out == ""
    assert_one_error_line(err)


def test_register_crlf_password_is_stripped(server, home):
    user_id = server.register(home, password=PASSWORD + "\r")  # stdin gets PASSWORD\r\n
    server.login(home, user_id, PASSWORD)


def test_unicode_nick_up_to_32_code_points(server, home):
    nick = "ä" * 32  # 64 bytes, 32 code points
    rc, out, err = register(server, home, "u@x", nick, json=True)
    assert (rc, err) == (0, ""), (out, err)
    assert parse_json(out)["nick"] == nick


@pytest.mark.parametrize("email", ["no-at-sign", "a@@x", "@x", "a@", "a b@x", "a@x\tb", "x" * 250 + "@abcd"])
def test_invalid_email_is_usage_error(server, home, email):
    rc, out, err = register(server, home, email, "alice")
    assert rc == 1, (out, err)
    assert out == ""
    line = assert_one_error_line(err)
    assert "email" in line


@pytest.mark.parametrize("nick", ["", "x" * 33, "ä" * 33, "bad\x01nick"])
def test_invalid_nick_is_usage_error(server, home, nick):
    rc, out, err = register(server, home, "a@x", nick)
    assert rc == 1, (out, err)
    assert "nick" in assert_one_error_line(err)


def test_invalid_utf8_nick_is_usage_error(server, home):
    # Not valid UTF-8: must be INVALID_ARGUMENT naming the nick (exit 1), not a protocol error.
    rc, out, err = server.run(home, "register", "--email", "a@x", "--nick", b"bad\xff utf8", "--password-stdin",
                              stdin=PASSWORD + "\n")
    assert rc == 1, (out, err)
    assert "nick" in assert_one_error_line(err)


def test_invalid_utf8_email_is_usage_error(server, home):
    rc, out, err = server.run(home, "register", "--email", b"\xffa@x", "--nick", "alice", "--password-stdin",
                              stdin=PASSWORD + "\n")
    assert rc == 1, (out, err)
    assert "email" in assert_one_error_line(err)


def test_password_is_bytes_not_text(server, home):
    # The contract counts password bytes; a Latin-1 password file is not UTF-8 and must work.
    password = b"\xe9t\xe9-password-latin1"
    rc, out, err = server.run(home, "register", "--email", "l@x", "--nick", "latin", "--password-stdin",
                              stdin=password + b"\n")
    assert (rc, err) == (0, ""), (rc, out, err)
    rc, out, err = server.run(home, "login", out.strip(), "--password-stdin", stdin=password + b"\n")
    assert (rc, err) == (0, ""), (rc, out, err)


def test_short_password_is_usage_error(server, home):
    rc, out, err = register(server, home, "a@x", "alice", password="1234567")
    assert rc == 1, (out, err)
    assert "password" in assert_one_error_line(err)


def test_password_of_eight_bytes_is_enough(server, home):
    server.register(home, password="12345678")


def test_invalid_email_json_error(server, home):
    rc, out, err = register(server, home, "nope", "alice", json=True)
    assert rc == 1
    assert_json_error(out, err, "invalid_argument", 1)


def test_register_without_password_stdin_and_without_terminal(server, home):
    rc, out, err = server.run(home, "register", "--email", "a@x", "--nick", "alice", stdin="")
    assert rc == 1, (out, err)
    assert "--password-stdin" in assert_one_error_line(err)


@pytest.mark.parametrize("args", [
    ["register", "--nick", "alice", "--password-stdin"],        # missing --email
    ["register", "--email", "a@x", "--password-stdin"],          # missing --nick
    ["register", "--email", "a@x", "--nick", "alice", "--password-stdin", "--bogus"],
])
def test_register_bad_flags(server, home, args):
    rc, out, err = server.run(home, *args, stdin=PASSWORD + "\n")
    assert rc == 1, (out, err)
    assert out == ""
    assert err.strip()


def test_empty_stdin_password_is_rejected(server, home):
    rc, out, err = server.run(home, "register", "--email", "a@x", "--nick", "alice", "--password-stdin", stdin="")
    assert rc == 1, (out, err)
    assert_one_error_line(err)


def test_registrations_beyond_the_address_limit_are_rate_limited(server_factory, home):
    """--register-burst-per-address 2: the third registration from 127.0.0.1 is refused before
    anything is hashed: exit 6 and when to retry (20 per hour: about 3 minutes)."""
    srv = server_factory(["--register-burst-per-address", "2"])
    srv.register(home, "a@x", "alice")
    srv.register(home, "b@x", "bob")
    rc, out, err = register(srv, home, "c@x", "carol")
    assert rc == 6 and out == "", (rc, out, err)
    assert_one_error_line(err, "too many registrations from your address; retry in 3 min")
    rc, out, err = register(srv, home, "c@x", "carol", json=True)
    error = assert_json_error(out, err, "rate_limited", 6)
    assert 120_000 < error["retry_after_ms"] <= 180_000, error
    assert "registration from 127.0.0.1 refused" in srv.stderr()


def test_register_on_a_closed_server_is_not_allowed(server_factory, home):
    closed = server_factory(["--registration", "closed"])
    rc, out, err = register(closed, home, "a@x", "alice")
    assert rc == 5 and out == ""
    assert assert_one_error_line(err) == "occhat: registration is closed on this server"
