"""occhat login: password checks, the saved session, throttling (per id and address)."""

import json
import os
import random
import re
import stat

import pytest

from conftest import PASSWORD, assert_json_error, assert_one_error_line, parse_json

WRONG = "wrong id or password"


def login(server, home, user_id, password=PASSWORD, json=False):
    return server.run(home, "login", str(user_id), "--password-stdin", stdin=password + "\n", json=json)


def unused_id(*taken):
    while True:
        candidate = random.randint(100000, 999999)
        if candidate not in taken:
            return candidate


def test_login_text(server, home):
    user_id = server.register(home, nick="alice")
    rc, out, err = login(server, home, user_id)
    assert (rc, out, err) == (0, f"logged in as {user_id} (alice)\n", "")


def test_login_json(server, home):
    user_id = server.register(home, nick="alice")
    rc, out, err = login(server, home, user_id, json=True)
    assert (rc, err) == (0, "")
    assert parse_json(out) == {"id": user_id, "nick": "alice", "revoked_sessions": 0}


def test_session_file_is_private_and_holds_no_password(server, home):
    user_id = server.register(home)
    server.login(home, user_id)
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    session = home / "session.json"
    assert stat.S_IMODE(os.stat(session).st_mode) == 0o600
    text = session.read_text()
    assert PASSWORD not in text
    value = json.loads(text)
    assert value["user_id"] == user_id
    assert value["server"] == server.address
    assert re.fullmatch(r"[0-9a-f]{64}", value["token"]), value["token"]


def test_wrong_password(server, home):
    user_id = server.register(home)
    rc, out, err = login(server, home, user_id, password="not the password")
    assert rc == 3 and out == ""
    assert_one_error_line(err, WRONG)
    # Only the server register remembered: no token was saved.
    assert json.loads((home / "session.json").read_text()) == {"server": server.address}


def test_unknown_id_gets_the_same_error(server, home):
    user_id = server.register(home)
    rc, out, err = login(server, home, unused_id(user_id))
    assert rc == 3 and out == ""
    assert_one_error_line(err, WRONG)


def test_wrong_password_json(server, home):
    user_id = server.register(home)
    rc, out, err = login(server, home, user_id, password="not the password", json=True)
    assert rc == 3
    error = assert_json_error(out, err, "auth_failed", 3)
    assert error["message"] == WRONG


@pytest.mark.parametrize("user_id", ["alice", "12ab56", "-1", "1e5", ""])
def test_non_numeric_id_is_usage_error(server, home, user_id):
    rc, out, err = server.run(home, "login", user_id, "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 1, (out, err)
    assert out == "" and err.strip()


def test_missing_id_is_usage_error(server, home):
    rc, out, err = server.run(home, "login", "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 1, (out, err)
    assert err.strip()


def test_bad_flag_is_usage_error(server, home):
    rc, out, err = server.run(home, "login", "123456", "--password-stdin", "--bogus", stdin=PASSWORD + "\n")
    assert rc == 1, (out, err)
    assert err.strip()


def test_unknown_command_is_usage_error(server, home):
    rc, out, err = server.run(home, "frobnicate")
    assert rc == 1, (out, err)
    assert err.strip()


def test_login_without_password_stdin_and_without_terminal(server, home):
    user_id = server.register(home)
    rc, out, err = server.run(home, "login", str(user_id), stdin="")
    assert rc == 1, (out, err)
    assert "--password-stdin" in assert_one_error_line(err)


def test_relogin_replaces_session(server, home):
    alice = server.register(home, "a@x", "alice")
    bob = server.register(home, "b@x", "bob")
    server.login(home, alice)
    server.login(home, bob)
    rc, out, err = server.run(home, "whoami")
    assert (rc, out, err) == (0, f"{bob} bob <b@x>\n", "")


@pytest.fixture
def strict_server(server_factory):
    return server_factory(["--login-max-failures", "3", "--login-lockout-seconds", "30"])


def test_rate_limited_after_max_failures(strict_server, home):
    user_id = strict_server.register(home)
    for _ in range(3):
        rc, _, err = login(strict_server, home, user_id, password="not the password")
        assert rc == 3, err
    # This address must wait now: even the right password is refused, with a retry hint.
    rc, out, err = login(strict_server, home, user_id)
    assert rc == 6 and out == ""
    line = assert_one_error_line(err)
    assert re.fullmatch(r"occhat: too many failed logins; retry in \d+ s", line), line
    seconds = int(re.search(r"retry in (\d+) s", line).group(1))
    assert 1 <= seconds <= 30


def test_rate_limited_json_has_retry_after(strict_server, home):
    user_id = strict_server.register(home)
    for _ in range(3):
        login(strict_server, home, user_id, password="not the password")
    rc, out, err = login(strict_server, home, user_id, json=True)
    assert rc == 6
    error = assert_json_error(out, err, "rate_limited", 6)
    assert 0 < error["retry_after_ms"] <= 30000


def test_lockout_is_per_id(strict_server, home, home2):
    alice = strict_server.register(home, "a@x", "alice")
    bob = strict_server.register(home2, "b@x", "bob")
    for _ in range(4):
        login(strict_server, home, alice, password="not the password")
    assert login(strict_server, home, alice)[0] == 6
    strict_server.login(home2, bob)


def test_successful_login_clears_the_failure_count(strict_server, home):
    user_id = strict_server.register(home)
    for _ in range(2):
        assert login(strict_server, home, user_id, password="not the password")[0] == 3
    strict_server.login(home, user_id)
    for _ in range(2):
        assert login(strict_server, home, user_id, password="not the password")[0] == 3
    strict_server.login(home, user_id)
