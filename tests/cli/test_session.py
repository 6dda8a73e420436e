"""whoami and logout, the saved session, global options and an unreachable server."""

import json
import os
import shutil
import stat

from conftest import PASSWORD, assert_json_error, assert_one_error_line, clean_env, free_port, parse_json, run

NOT_LOGGED_IN = "not logged in (run: occhat login ID)"


def test_whoami_text(server, home, alice):
    rc, out, err = server.run(home, "whoami")
    assert (rc, out, err) == (0, f"{alice} alice <alice@example.org>\n", "")


def test_whoami_json(server, home, alice):
    rc, out, err = server.run(home, "whoami", json=True)
    assert (rc, err) == (0, "")
    assert parse_json(out) == {"id": alice, "nick": "alice", "email": "alice@example.org", "discoverable": False}


def test_whoami_not_logged_in(server, home):
    rc, out, err = server.run(home, "whoami")
    assert rc == 3 and out == ""
    assert_one_error_line(err, NOT_LOGGED_IN)


def test_whoami_not_logged_in_json(server, home):
    rc, out, err = server.run(home, "whoami", json=True)
    assert rc == 3
    assert_json_error(out, err, "unauthenticated", 3)


def test_home_is_created_private(server, home):
    assert not home.exists()
    server.register(home)
    server.login(home, server.register(home, "b@x", "bob"))
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


def test_logout(server, home, alice):
    rc, out, err = server.run(home, "logout")
    assert (rc, out, err) == (0, "logged out\n", "")
    assert "token" not in json.loads((home / "session.json").read_text())  # the server stays
    rc, out, err = server.run(home, "whoami")
    assert rc == 3
    assert_one_error_line(err, NOT_LOGGED_IN)


def test_logout_json(server, home, alice):
    rc, out, err = server.run(home, "logout", json=True)
    assert (rc, err) == (0, "")
    assert parse_json(out) == {"ok": True}


def test_logout_revokes_the_token_on_the_server(server, home, home2, alice):
    # A copy of the session (as a thief would have) stops working once its owner logs out.
    shutil.copytree(home, home2)
    assert server.run(home2, "whoami")[0] == 0
    assert server.run(home, "logout")[0] == 0
    rc, out, err = server.run(home2, "whoami")
    assert rc == 3 and out == ""
    assert_one_error_line(err)


def test_logout_when_not_logged_in(server, home):
    rc, out, err = server.run(home, "logout")
    assert rc == 3 and out == ""
    assert_one_error_line(err, NOT_LOGGED_IN)


def test_logout_with_server_gone_still_removes_the_session(server_factory, home):
    srv = server_factory()
    srv.login(home, srv.register(home))
    assert srv.stop() == 0
    rc, out, err = srv.run(home, "logout")
    assert rc == 2
    assert_one_error_line(err)
    assert "token" not in json.loads((home / "session.json").read_text())


def test_sessions_in_separate_homes_are_independent(server, home, home2):
    alice = server.register(home, "a@x", "alice")
    bob = server.register(home2, "b@x", "bob")
    server.login(home, alice)
    server.login(home2, bob)
    assert server.run(home, "whoami")[1] == f"{alice} alice <a@x>\n"
    assert server.run(home2, "whoami")[1] == f"{bob} bob <b@x>\n"
    assert server.run(home, "logout")[0] == 0
    assert server.run(home2, "whoami")[0] == 0


def test_global_options_after_the_subcommand(server, home, alice):
    rc, out, err = run(None, "whoami", "--server", server.address, "--home", str(home), "--json")
    assert (rc, err) == (0, "")
    assert parse_json(out)["id"] == alice


def test_environment_variables(server, home, alice, tmp_path):
    env = clean_env(tmp_path)
    env["OCCHAT_SERVER"] = server.address
    env["OCCHAT_HOME"] = str(home)
    rc, out, err = run(None, "whoami", env=env)
    assert (rc, out, err) == (0, f"{alice} alice <alice@example.org>\n", "")


def test_default_home_is_dot_occhat(server, tmp_path):
    env = clean_env(tmp_path)
    rc, out, err = run(None, "--server", server.address, "register", "--email", "a@x", "--nick", "alice",
                       "--password-stdin", stdin=PASSWORD + "\n", env=env)
    assert rc == 0, err
    user_id = int(out)
    rc, out, err = run(None, "--server", server.address, "login", str(user_id), "--password-stdin",
                       stdin=PASSWORD + "\n", env=env)
    assert rc == 0, err
    session = json.loads((tmp_path / ".occhat" / "session.json").read_text())
    assert session["user_id"] == user_id


def test_bad_server_address_is_usage_error(home):
    rc, out, err = run(home, "--server", "not-an-address", "whoami")
    assert rc in (1, 2), (rc, err)  # 1 if rejected while parsing; 2 if resolution fails
    assert err.strip()


def test_server_unreachable(home):
    address = f"127.0.0.1:{free_port()}"
    for args, stdin in [(["register", "--email", "a@x", "--nick", "alice", "--password-stdin"], PASSWORD + "\n"),
                        (["login", "123456", "--password-stdin"], PASSWORD + "\n")]:
        rc, out, err = run(home, "--server", address, *args, stdin=stdin)
        assert rc == 2, (args, out, err)
        line = assert_one_error_line(err)
        assert line.startswith(f"occhat: cannot reach server {address}"), line


def test_server_unreachable_with_a_session(server_factory, home):
    srv = server_factory()
    srv.login(home, srv.register(home))
    assert srv.stop() == 0
    for args in (["whoami"], ["find", "123456"]):
        rc, out, err = srv.run(home, *args)
        assert rc == 2, (args, out, err)
        assert assert_one_error_line(err).startswith("occhat: cannot reach server")


def test_server_unreachable_json(home):
    rc, out, err = run(home, "--server", f"127.0.0.1:{free_port()}", "login", "123456", "--password-stdin",
                       stdin=PASSWORD + "\n", json=True)
    assert rc == 2
    assert_json_error(out, err, "unavailable", 2)
