"""occhat-server as a process: its listening line, flags and signals."""

import signal
import subprocess

import pytest

from conftest import LISTENING, clean_env, server_binary


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


@pytest.mark.parametrize("args", [["--bogus"], ["--listen"], ["--login-max-failures", "many"],
                                  ["--listen", "127.0.0.1:notaport"]])
def test_bad_flags_exit_1(args, tmp_path):
    proc = subprocess.run([str(server_binary()), "--data-dir", str(tmp_path / "d"), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15,
                          env=clean_env(tmp_path))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "listening on" not in proc.stdout
    assert proc.stderr.strip()
