"""occhat-server as a process: its listening line, flags and signals."""

import os
import signal
import stat
import subprocess

import pytest

from conftest import LISTENING, befriend, clean_env, make_user, server_binary


def test_listening_line_is_the_only_stdout(server):
    assert LISTENING.match(server.stdout().rstrip("\n"))
    assert server.stdout().count("\n") == 1
    assert server.host == "127.0.0.1"


def test_sigint_exits_zero(server_factory):
    srv = server_factory()
    assert srv.stop(signal.SIGINT) == 0


def test_sigterm_exits_zero(server_factory, home):
    srv = server_factory()
    srv.register(home)
    assert srv.stop(signal.SIGTERM) == 0


def test_schema_is_created(server):
    assert (server.data_dir / "occhat.db").is_file()


def test_database_is_owner_only_in_a_data_dir_made_by_the_operator(server_factory, home, tmp_path):
    # An operator-made data dir keeps its mode (0755 here), but the password and session hashes
    # in the database (and its WAL) must not be readable by other local users.
    data = tmp_path / "operator-made"
    data.mkdir(mode=0o755)
    srv = server_factory(data_dir=data)
    srv.register(home)
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o755
    for name in ("occhat.db", "occhat.db-wal"):
        assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600, name


@pytest.mark.parametrize("level", ["quiet", "info", "debug"])
def test_log_level_decides_what_the_server_logs(server_factory, tmp_path, level):
    srv = server_factory(extra_args=("--log-level", level))
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    a.ok("send", b.id, "hello")
    assert srv.stop() == 0
    log = srv.stderr()
    logins = [line for line in log.splitlines() if "logged in" in line]
    messages = [line for line in log.splitlines() if "sent message" in line]
    if level == "quiet":
        assert log == "", log
    elif level == "info":
        assert logins and not messages, log
    else:
        assert logins and len(messages) == 1, log


@pytest.mark.parametrize("args", [["--bogus"], ["--listen"], ["--login-max-failures", "many"],
                                  ["--listen", "127.0.0.1:notaport"], ["--log-level", "verbose"]])
def test_bad_flags_exit_1(args, tmp_path):
    proc = subprocess.run([str(server_binary()), "--data-dir", str(tmp_path / "d"), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15,
                          env=clean_env(tmp_path))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "listening on" not in proc.stdout
    assert proc.stderr.strip()


def test_store_flag_puts_the_database_elsewhere(server_factory, home, tmp_path):
    db = tmp_path / "elsewhere" / "chat.db"
    db.parent.mkdir()
    srv = server_factory(extra_args=("--store", f"sqlite:{db}"))
    srv.register(home)
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert not (srv.data_dir / "occhat.db").exists()


@pytest.mark.parametrize("location, message", [
    # Nothing listens on port 1: a database that cannot be reached at start-up (tried once:
    # --startup-wait 0; test_postgresql.py shows the wait itself).
    ("postgresql://x@127.0.0.1:1/db", "cannot connect to PostgreSQL"),
    ("postgres://x@127.0.0.1:1/db", "cannot connect to PostgreSQL"),
    ("mysql://x@localhost/db", "unknown kind 'mysql'"),
])
def test_store_flag_refuses_what_it_cannot_open(location, message, tmp_path):
    proc = subprocess.run([str(server_binary()), "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
                           "--store", location, "--startup-wait", "0"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15,
                          env=clean_env(tmp_path))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "listening on" not in proc.stdout
    assert message in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("occhat-server: "), proc.stderr
