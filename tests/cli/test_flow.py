"""The issue's must-show flow, and what must never be written down in clear."""

import hashlib
import json
import re

from conftest import PASSWORD


def test_register_login_whoami_survive_a_restart(server_factory, home, tmp_path):
    srv = server_factory(data_dir=tmp_path / "D")
    rc, out, err = srv.run(home, "register", "--email", "a@x", "--nick", "alice", "--password-stdin",
                           stdin=PASSWORD + "\n")
    assert rc == 0 and re.fullmatch(r"\d{6}\n", out), (rc, out, err)
    user_id = int(out)
    srv.login(home, user_id)
    assert srv.run(home, "whoami") == (0, f"{user_id} alice <a@x>\n", "")

    first_port = srv.port
    srv.restart()
    assert (srv.data_dir / "occhat.db").is_file()
    # The saved token was stored (hashed) in the database, so it still resumes after a restart.
    assert srv.run(home, "whoami") == (0, f"{user_id} alice <a@x>\n", "")
    # And the same login still works.
    assert srv.login(home, user_id) == f"logged in as {user_id} (alice)\n"
    assert srv.run(home, "whoami") == (0, f"{user_id} alice <a@x>\n", "")
    assert first_port != 0


def test_no_secret_in_data_dir_or_logs(server_factory, home, home2, tmp_path):
    password = "Zq9-unique-secret-PW-7781"
    srv = server_factory(data_dir=tmp_path / "D")
    user_id = srv.register(home, "secret@x", "sam", password=password)
    srv.login(home, user_id, password)
    token = json.loads((home / "session.json").read_text())["token"]
    assert srv.run(home, "whoami")[0] == 0
    # A failed login with a near-miss password must not be logged either.
    wrong = password + "-typo"
    assert srv.run(home2, "login", str(user_id), "--password-stdin", stdin=wrong + "\n")[0] == 3

    def forbidden():
        yield "password", password.encode()
        yield "wrong password", wrong.encode()
        yield "md5 of password (hex)", hashlib.md5(password.encode()).hexdigest().encode()
        yield "md5 of password (raw)", hashlib.md5(password.encode()).digest()
        yield "token (hex)", token.encode()
        yield "token (hex, upper)", token.upper().encode()
        yield "token (raw)", bytes.fromhex(token)

    def check(label):
        files = [p for p in srv.data_dir.rglob("*") if p.is_file()]
        assert any(p.name == "occhat.db" for p in files), files
        logs = [p for p in srv.log_dir.glob("server-*")]
        for path in files + logs:
            data = path.read_bytes()
            for what, needle in forbidden():
                assert needle not in data, f"{what} found in {path} ({label})"

    # While running (the WAL file holds the fresh rows) and after a clean shutdown.
    check("while running")
    assert srv.stop() == 0
    check("after shutdown")
    assert srv.all_logs().strip(), "the server logs notable events to stderr"


def test_two_users_find_each_other(server, home, home2):
    alice = server.register(home, "a@x", "alice")
    bob = server.register(home2, "b@x", "bob")
    server.login(home, alice)
    server.login(home2, bob)
    assert server.run(home, "find", str(bob)) == (0, f"{bob} bob\n", "")
    assert server.run(home2, "find", str(alice)) == (0, f"{alice} alice\n", "")
    assert server.run(home, "logout") == (0, "logged out\n", "")
    assert server.run(home2, "logout") == (0, "logged out\n", "")
