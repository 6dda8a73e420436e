"""The server saved in session.json is the default for every command, `login` and `register`
included, and `logout` keeps it (only the token goes)."""

import json

from conftest import PASSWORD, parse_json, run


def login_here(home, user_id):
    """`occhat login` without --server: whatever session.json remembers."""
    return run(home, "login", str(user_id), "--password-stdin", stdin=PASSWORD + "\n")


def test_login_again_uses_the_saved_server(server, home, alice):
    rc, out, err = login_here(home, alice)
    # The session it replaces is revoked by the same login (see test_accounts.py).
    assert (rc, out, err) == (0, f"logged in as {alice} (alice); revoked 1 earlier session\n", "")


def test_register_uses_the_saved_server(server, home, alice):
    rc, out, err = run(home, "--json", "register", "--email", "b@x", "--nick", "bob", "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert (rc, err) == (0, "")
    bob = parse_json(out)["id"]
    assert server.run(home, "find", bob)[1] == f"{bob} bob\n"


def test_logout_keeps_the_server_and_drops_the_token(server, home, alice):
    assert run(home, "logout") == (0, "logged out\n", "")
    assert json.loads((home / "session.json").read_text()) == {"server": server.address}
    rc, out, err = run(home, "whoami")
    assert rc == 3 and out == ""
    assert err == "occhat: not logged in (run: occhat login ID)\n"
    assert login_here(home, alice) == (0, f"logged in as {alice} (alice)\n", "")
    assert run(home, "whoami")[0] == 0


def test_explicit_server_still_wins(server_factory, home):
    first = server_factory()
    second = server_factory()
    user = first.register(home)
    first.login(home, user)
    # The saved server is only a default: --server talks to the other one.
    rc, out, err = second.run(home, "login", str(user), "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 3, (rc, out, err)


def test_register_on_a_new_home_remembers_the_server_for_login(server, home):
    # The first hour: `--server` once, on register; the login that follows needs no flag.
    user = server.register(home)
    assert json.loads((home / "session.json").read_text()) == {"server": server.address}
    assert login_here(home, user) == (0, f"logged in as {user} (alice)\n", "")


def test_register_does_not_move_a_logged_in_session(server_factory, home):
    first = server_factory()
    second = server_factory()
    user = first.register(home)
    first.login(home, user)
    second.register(home, email="bot@x", nick="bot")  # e.g. a bot's account, elsewhere
    saved = json.loads((home / "session.json").read_text())
    assert (saved["server"], saved["user_id"]) == (first.address, user)
    assert run(home, "whoami")[0] == 0
