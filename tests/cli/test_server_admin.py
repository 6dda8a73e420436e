"""Operator commands of occhat-server, on the store directly while the server runs: user list,
reset-password, disable/enable (closing live connections), stats; each with --json."""

import json
import subprocess

from conftest import PASSWORD, befriend, clean_env, eventually, make_user, server_binary


def admin(srv, *args, stdin=None):
    """occhat-server --data-dir <srv's> ARGS: (exit code, stdout, stderr)."""
    proc = subprocess.run([str(server_binary()), "--data-dir", str(srv.data_dir), *map(str, args)],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          stdin=None if stdin is not None else subprocess.DEVNULL, env=clean_env(srv.data_dir))
    return proc.returncode, proc.stdout, proc.stderr


def test_user_list_text_and_json(server, tmp_path):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    rc, out, err = admin(server, "user", "list")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{min(a.id, b.id)}  ")
    assert "<alice@example.org>" in out and "sessions 1" in out
    rc, out, err = admin(server, "user", "list", "--json")
    users = {u["id"]: u for u in map(json.loads, out.splitlines())}
    assert users[a.id]["nick"] == "alice" and users[a.id]["disabled"] is False
    assert users[a.id]["sessions"] == 1 and users[a.id]["last_seen_at"] > 0


def test_disable_closes_a_live_watch_and_refuses_login_until_enabled(server, tmp_path, watch_factory):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    befriend(a, b)
    watch = watch_factory(b)
    eventually(lambda: admin(server, "user", "list", "--json")[1], lambda out: out.count('"sessions":1') == 2)
    rc, out, err = admin(server, "user", "disable", b.id, "--json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == {"id": b.id, "disabled": True}
    # The running server notices within a second or so and closes bob's watch.
    assert watch.proc.wait(timeout=20) == 3
    rc, out, err = b.run("login", b.id, "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (3, "occhat: this account is disabled (ask the server's operator)\n")
    assert b.run("whoami")[0] == 3  # the saved token died with the disable
    assert "DISABLED" in admin(server, "user", "list")[1]
    assert admin(server, "user", "enable", b.id)[:2] == (0, f"user {b.id} enabled: it can log in again\n")
    b.login_again()
    assert b.run("whoami")[0] == 0


def test_reset_password_then_login(server, tmp_path, watch_factory):
    a = make_user(server, tmp_path, "alice")
    watch = watch_factory(a)
    eventually(lambda: admin(server, "user", "list", "--json")[1], lambda out: '"sessions":1' in out)
    rc, out, err = admin(server, "user", "reset-password", a.id, stdin="a brand new password\n")
    assert (rc, out, err) == (0, f"password of user {a.id} reset: its sessions ended\n", "")
    assert watch.proc.wait(timeout=20) == 3
    assert a.run("login", a.id, "--password-stdin", stdin=PASSWORD + "\n")[0] == 3
    assert a.run("login", a.id, "--password-stdin", stdin="a brand new password\n")[0] == 0
    # The server's own password rules apply.
    rc, out, err = admin(server, "user", "reset-password", a.id, stdin="short\n")
    assert rc == 1 and "password" in err


def test_unknown_user_is_exit_4(server):
    for command in (["user", "disable", 123456], ["user", "enable", 123456],
                    ["user", "reset-password", 123456]):
        rc, out, err = admin(server, *command, stdin="a long enough password\n")
        assert (rc, out, err) == (4, "", "occhat-server: no user with id 123456\n"), command


def test_stats(server, tmp_path):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    befriend(a, b)
    a.ok("send", b.id, "one")
    a.ok("send", b.id, "two")
    src = tmp_path / "f.bin"
    src.write_bytes(b"z" * 1234)
    a.ok("upload", b.id, src)
    a.ok("room", "create", "lobby")
    rc, out, err = admin(server, "stats", "--json")
    assert (rc, err) == (0, "")
    stats = json.loads(out)
    assert (stats["users"], stats["messages"], stats["rooms"], stats["files"], stats["file_bytes"]) == (2, 2, 1, 1, 1234)
    assert stats["inbox_backlog"] >= 3  # bob has not read anything
    rc, out, err = admin(server, "stats")
    assert rc == 0 and out.startswith("users          2 (0 disabled)\n")


def test_operator_commands_read_the_config_file(server, tmp_path):
    make_user(server, tmp_path, "alice")
    conf = tmp_path / "server.conf"
    conf.write_text(f"data-dir = {server.data_dir}\n")
    proc = subprocess.run([str(server_binary()), "--config", str(conf), "stats", "--json"], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["users"] == 1


def test_user_delete_needs_yes_then_deletes_and_closes_a_live_watch(server, tmp_path, watch_factory):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    befriend(a, b)
    a.ok("send", b.id, "kept in bob's history")
    watch = watch_factory(a)
    eventually(lambda: admin(server, "user", "list", "--json")[1], lambda out: out.count('"sessions":1') == 2)
    rc, out, err = admin(server, "user", "delete", a.id)
    assert (rc, out) == (1, "") and "--yes" in err
    rc, out, err = admin(server, "user", "delete", a.id, "--yes", "--json")
    assert (rc, err) == (0, "")
    assert json.loads(out) == {"id": a.id, "deleted": True}
    assert watch.proc.wait(timeout=20) == 3
    assert a.run("login", a.id, "--password-stdin", stdin=PASSWORD + "\n")[0] == 3
    assert b.jsonl("friends") == []
    assert [m["text"] for m in b.jsonl("history", a.id)] == ["kept in bob's history"]
    assert admin(server, "user", "delete", a.id, "--yes")[0] == 4  # already gone
    # A deleted id is no user for the other commands either: no password brings it back.
    assert admin(server, "user", "reset-password", a.id, stdin="a brand new password\n")[0] == 4
    assert admin(server, "user", "disable", a.id)[0] == 4
