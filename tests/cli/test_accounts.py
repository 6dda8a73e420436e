"""Accounts people manage themselves: token revocation at login, passwd, nick, sessions,
logout --all/--session, discoverable + find --nick, delete-account."""

import json
import shutil
import subprocess

import pytest

from conftest import PASSWORD, User, assert_one_error_line, befriend, parse_json

NEW_PASSWORD = "a much better passphrase"


def copy_home(user, dest):
    """A second device of `user`: a copy of the home (same token)."""
    shutil.copytree(user.home, dest)
    return User(user.server, user.name + "-copy", dest, user.id)


def second_login(user, dest):
    """A second, independent session of `user` (its own token) in home `dest`."""
    other = User(user.server, user.name + "-2", dest, user.id)
    user.server.login(dest, user.id)
    return other


def watch_ends(watch, timeout=10):
    try:
        return watch.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"watch kept running; stderr {watch.stderr()!r}")


# ---- 1. token revocation -----------------------------------------------------------------------

def test_login_over_a_saved_session_revokes_the_old_token(users, tmp_path):
    a = users.a
    thief = copy_home(a, tmp_path / "thief")
    assert thief.ok("whoami").startswith(f"{a.id} ")
    out = a.server.login(a.home, a.id)
    assert out == f"logged in as {a.id} (alice); revoked 1 earlier session\n"
    rc, out, err = thief.run("whoami")
    assert rc == 3
    assert_one_error_line(err, "session expired or revoked (run: occhat login ID)")
    assert a.ok("whoami").startswith(f"{a.id} ")


def test_login_json_counts_revoked_sessions(users):
    a = users.a
    rc, out, err = a.run("login", a.id, "--password-stdin", stdin=PASSWORD + "\n", json=True)
    assert (rc, err) == (0, "")
    assert parse_json(out) == {"id": a.id, "nick": "alice", "revoked_sessions": 1}


def test_offline_logout_revokes_at_next_login(server_factory, tmp_path):
    srv = server_factory(data_dir=tmp_path / "data")
    home = tmp_path / "h"
    uid = srv.register(home)
    srv.login(home, uid)
    thief = tmp_path / "thief"
    shutil.copytree(home, thief)
    port = srv.port
    assert srv.stop() == 0
    rc, out, err = srv.run(home, "logout")
    assert rc == 2 and out == ""
    line = assert_one_error_line(err)
    assert line.endswith("; logged out here, the session will be revoked at your next login"), line
    pending = json.loads((home / "revoke.json").read_text())["pending"]
    assert len(pending) == 1 and pending[0]["server"] == f"127.0.0.1:{port}"
    srv.start(port=port)
    assert srv.run(thief, "whoami")[0] == 0  # still valid: the server was never told
    assert srv.login(home, uid) == f"logged in as {uid} (alice); revoked 1 earlier session\n"
    assert not (home / "revoke.json").exists()
    rc, out, err = srv.run(thief, "whoami")
    assert rc == 3
    assert_one_error_line(err, "session expired or revoked (run: occhat login ID)")


# ---- 2. passwd ------------------------------------------------------------------------------------

def test_passwd_revokes_other_sessions_and_closes_their_watch(users, tmp_path, watch_factory):
    a = users.a
    other = second_login(a, tmp_path / "laptop")
    w = watch_factory(other)
    w.wait_stderr("")  # started
    assert other.ok("whoami").startswith(f"{a.id} ")
    out = a.ok("passwd", "--password-stdin", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n")
    assert out == "password changed; your other sessions were logged out\n"
    assert watch_ends(w) == 3
    seen = w.finish()
    assert seen and seen[-1]["error"]["code"] == "unauthenticated", seen
    rc, _, _ = other.run("whoami")
    assert rc == 3
    assert a.ok("whoami").startswith(f"{a.id} ")  # the current session stays
    rc, out, err = a.run("login", a.id, "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 3
    assert_one_error_line(err)
    assert a.server.login(a.home, a.id, password=NEW_PASSWORD).startswith("logged in as")


def test_passwd_wrong_current_password(users):
    a = users.a
    rc, out, err = a.run("passwd", "--password-stdin", stdin=f"not the password\n{NEW_PASSWORD}\n")
    assert rc == 3 and out == ""
    assert_one_error_line(err, "wrong password")
    assert a.server.login(a.home, a.id).startswith("logged in as")


def test_passwd_too_short_new_password(users):
    rc, out, err = users.a.run("passwd", "--password-stdin", stdin=f"{PASSWORD}\nshort\n")
    assert rc == 1
    assert_one_error_line(err, "password must be at least 8 bytes")


def test_passwd_without_terminal_needs_password_stdin(users):
    rc, out, err = users.a.run("passwd")
    assert rc == 1
    assert_one_error_line(err, "no terminal to prompt for the password; use --password-stdin")


# ---- 3. nick --------------------------------------------------------------------------------------

def test_nick_change_shows_in_friends_list(friends):
    a, b = friends.a, friends.b
    assert a.ok("nick", "Alice Liddell") == "your nick is now Alice Liddell\n"
    assert a.ok("whoami") == f"{a.id} Alice Liddell <alice@example.org>\n"
    assert [f["nick"] for f in b.jsonl("friends")] == ["Alice Liddell"]
    assert a.jsonl("nick", "al") == [{"id": a.id, "nick": "al"}]


def test_nick_is_validated_like_registration(users):
    rc, out, err = users.a.run("nick", "x" * 33)
    assert rc == 1
    assert_one_error_line(err, "nick must be at most 32 characters")
    rc, out, err = users.a.run("nick", "tab\there")
    assert rc == 1
    assert_one_error_line(err, "nick must not contain control characters")


# ---- 4. sessions, logout --all / --session --------------------------------------------------------

def test_sessions_lists_each_login_and_marks_the_current_one(users, tmp_path):
    a = users.a
    second_login(a, tmp_path / "laptop")
    rows = a.jsonl("sessions")
    assert len(rows) == 2
    assert sorted(r["current"] for r in rows) == [False, True]
    for r in rows:
        assert len(r["id"]) == 12 and r["client"].startswith("occhat-cli/") and r["address"] == "127.0.0.1"
    current = [r["id"] for r in rows if r["current"]][0]
    text = a.ok("sessions").splitlines()
    assert sorted(line[:14] for line in text) == sorted(("* " if r["current"] else "  ") + r["id"] for r in rows)
    assert any(line.startswith("* " + current) for line in text)


def test_logout_session_ends_that_session_only(users, tmp_path):
    a = users.a
    other = second_login(a, tmp_path / "laptop")
    rows = a.jsonl("sessions")
    victim = [r["id"] for r in rows if not r["current"]][0]
    assert a.ok("logout", "--session", victim) == f"ended session {victim}\n"
    assert other.run("whoami")[0] == 3
    assert a.ok("whoami").startswith(f"{a.id} ")
    rc, out, err = a.run("logout", "--session", victim)
    assert rc == 4
    assert_one_error_line(err, f"you have no session {victim}")
    rc, out, err = a.run("logout", "--session", "nothex")
    assert rc == 1


def test_logout_all_ends_every_session_and_live_watch(users, tmp_path, watch_factory):
    a = users.a
    other = second_login(a, tmp_path / "laptop")
    w = watch_factory(other)
    assert a.ok("logout", "--all") == "logged out everywhere\n"
    assert watch_ends(w) == 3
    assert other.run("whoami")[0] == 3
    assert a.run("whoami")[0] == 3


def test_sessions_of_others_are_never_listed(users):
    ids_a = {r["id"] for r in users.a.jsonl("sessions")}
    ids_b = {r["id"] for r in users.b.jsonl("sessions")}
    assert len(ids_a) == 1 and len(ids_b) == 1 and not ids_a & ids_b
    rc, out, err = users.a.run("logout", "--session", ids_b.pop())
    assert rc == 4  # bob's session is not alice's to end
    assert users.b.run("whoami")[0] == 0


# ---- 6. discoverable and find --nick ------------------------------------------------------------

def test_find_by_nick_only_finds_opted_in_users(users):
    a, b, c = users.a, users.b, users.c
    assert a.jsonl("find", "--nick", "bo") == []  # bob has not opted in
    assert b.ok("discoverable", "on") == "others can find you by nick (occhat find --nick)\n"
    assert b.ok("whoami") == f"{b.id} bob <bob@example.org> (discoverable by nick)\n"
    assert b.jsonl("whoami")[0]["discoverable"] is True
    assert a.jsonl("find", "--nick", "BO") == [{"id": b.id, "nick": "bob"}]
    assert a.ok("find", "--nick", "bob", "--exact") == f"{b.id} bob\n"
    assert a.jsonl("find", "--nick", "bo", "--exact") == []
    assert c.jsonl("find", "--nick", "%") == []  # LIKE wildcards are literal
    b.ok("discoverable", "off")
    assert a.jsonl("find", "--nick", "bo") == []


def test_find_by_nick_is_rate_limited_with_find_by_id(server_factory, tmp_path):
    srv = server_factory(extra_args=["--find-rate", "3600", "--find-burst", "2"])
    from conftest import make_user
    a = make_user(srv, tmp_path, "alice")
    a.ok("find", "--nick", "x")
    a.ok("find", a.id)
    rc, out, err = a.run("find", "--nick", "x")
    assert rc == 6
    assert "too many user lookups" in err


def test_find_needs_an_id_or_a_nick(users):
    rc, out, err = users.a.run("find")
    assert rc == 1


# ---- 5. delete-account ------------------------------------------------------------------------------

def test_delete_account(friends, tmp_path):
    a, b, c = friends.a, friends.b, friends.c
    a.ok("send", b.id, "remember me")
    room = a.jsonl("room", "create", "book club")[0]["id"]
    a.ok("room", "invite", room, b.id)
    b.ok("room", "join", room)
    solo = a.jsonl("room", "create", "alone")[0]["id"]
    other = second_login(a, tmp_path / "laptop")
    out = a.ok("delete-account", "--yes", "--password-stdin", stdin=PASSWORD + "\n")
    assert out == f"deleted account {a.id}; messages and files others received stay in their history\n"
    assert a.run("whoami")[0] == 3
    assert other.run("whoami")[0] == 3
    rc, out, err = a.run("login", a.id, "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 3
    assert b.jsonl("friends") == []
    assert b.run("find", a.id)[0] == 4
    assert [m["text"] for m in b.jsonl("history", a.id)] == ["remember me"]
    rooms = b.jsonl("rooms")
    club = [r for r in rooms if r.get("id") == room]
    assert club and club[0]["role"] == "owner", rooms  # handed to the longest-standing member
    assert solo not in [r.get("id") for r in rooms]


def test_delete_account_needs_confirmation_without_a_terminal(users):
    rc, out, err = users.a.run("delete-account", "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 1
    assert_one_error_line(err, "deleting an account cannot be undone: confirm with --yes")
    assert users.a.run("whoami")[0] == 0


def test_delete_account_wrong_password(users):
    rc, out, err = users.a.run("delete-account", "--yes", "--password-stdin", stdin="wrong password\n")
    assert rc == 3
    assert_one_error_line(err, "wrong password")
    assert users.a.run("whoami")[0] == 0
