"""TLS end to end: occhat-server --tls-cert/--tls-key with certificates from scripts/make-certs.sh,
the CLI with --tls/--ca; plaintext clients, wrong CAs and wrong names are refused cleanly."""

import json
import re
import socket
import ssl
import subprocess
import time

import pytest

from conftest import REPO, PASSWORD, User, assert_one_error_line, befriend, drain_inbox, run, server_binary

MAKE_CERTS = REPO / "scripts" / "make-certs.sh"


def make_certs(directory, *names):
    proc = subprocess.run(["bash", str(MAKE_CERTS), str(directory), *names], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return directory


@pytest.fixture
def certs(tmp_path):
    """A private CA and a server certificate for localhost and 127.0.0.1."""
    return make_certs(tmp_path / "certs")


@pytest.fixture
def tls_server(server_factory, certs):
    return server_factory(extra_args=["--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key")])


def tls_args(certs):
    return ["--tls", "--ca", str(certs / "ca.pem")]


def register(server, home, name, *flags):
    rc, out, err = server.run(home, *flags, "register", "--email", f"{name}@example.org", "--nick", name,
                              "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (rc, out, err)
    return int(out)


def tls_user(server, tmp_path, certs, name):
    home = tmp_path / f"home-{name}"
    user_id = register(server, home, name, *tls_args(certs))
    rc, out, err = server.run(home, *tls_args(certs), "login", str(user_id), "--password-stdin",
                              stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (rc, out, err)
    return User(server, name, home, user_id)


def handshake_failures(server):
    return server.stderr().count("TLS handshake failed")


def test_register_login_send_watch_over_tls(tls_server, certs, tmp_path, watch_factory):
    alice = tls_user(tls_server, tmp_path, certs, "alice")
    bob = tls_user(tls_server, tmp_path, certs, "bob")

    # The session remembers TLS and the CA (absolute path): later commands need no flags.
    saved = json.loads((alice.home / "session.json").read_text())
    assert saved["tls"] is True
    assert saved["ca"] == str((certs / "ca.pem").resolve())
    assert saved["server"] == tls_server.address

    befriend(alice, bob)
    drain_inbox(alice)
    drain_inbox(bob)
    watch = watch_factory(bob)  # `occhat watch` over TLS, from the saved session
    assert alice.ok("send", bob.id, "first over TLS").strip()
    watch.wait_for(lambda e: e.get("type") == "message" and e.get("text") == "first over TLS", what="the 1st message")
    assert alice.ok("send", bob.id, "hello over TLS").strip()
    line = watch.wait_for(lambda e: e.get("type") == "message" and e.get("text") == "hello over TLS",
                          what="the message")
    assert line["from"] == alice.id
    assert bob.ok("whoami").startswith(f"{bob.id}")
    history = alice.ok("history", bob.id)
    assert "hello over TLS" in history
    assert handshake_failures(tls_server) == 0
    assert watch.interrupt() == 0


def test_plaintext_client_is_refused_and_server_keeps_serving(tls_server, certs, tmp_path):
    home = tmp_path / "home-plain"
    rc, out, err = tls_server.run(home, "register", "--email", "p@example.org", "--nick", "p", "--password-stdin",
                                  stdin=PASSWORD + "\n")
    assert rc == 2, (rc, out, err)
    line = assert_one_error_line(err)
    assert line == (f"occhat: cannot reach server {tls_server.address}: it requires TLS "
                    "(use --tls, and --ca FILE for a private CA)"), line
    assert out == ""

    # Logged once on the server, which goes on serving TLS clients.
    deadline = time.monotonic() + 5
    while handshake_failures(tls_server) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handshake_failures(tls_server) == 1, tls_server.stderr()
    assert tls_server.proc.poll() is None
    user = tls_user(tls_server, tmp_path, certs, "carol")
    assert user.ok("whoami").startswith(str(user.id))

    # --json: the same error as a JSON object, exit code 2.
    rc, out, err = tls_server.run(home, "whoami", json=True)
    assert rc in (2, 3), (rc, out, err)  # not logged in here (3) is checked before connecting


def test_plaintext_raw_peer_gets_one_error_frame(tls_server):
    """A raw plaintext peer sending an occhat hello frame gets exactly one plaintext error push
    (UNAVAILABLE, "this server requires TLS"), then the connection is closed."""
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as s:
        s.sendall(b"\x00\x00\x00\x04\x00\x01\x00\x00\x00\x00\x00\x01\x08\x01\x00\x00")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert len(data) > 12, data
    size = int.from_bytes(data[0:4], "big")
    assert len(data) == 12 + size, data
    assert int.from_bytes(data[8:12], "big") == 0  # a push
    assert b"this server requires TLS" in data[12:]
    assert tls_server.proc.poll() is None


def test_wrong_ca_fails_with_certificate_verification(tls_server, tmp_path):
    other = make_certs(tmp_path / "other-certs")
    rc, out, err = tls_server.run(tmp_path / "home-x", "--tls", "--ca", str(other / "ca.pem"), "register",
                                  "--email", "x@example.org", "--nick", "x", "--password-stdin",
                                  stdin=PASSWORD + "\n")
    assert rc == 2, (rc, out, err)
    line = assert_one_error_line(err)
    assert f"TLS handshake with {tls_server.address} failed: certificate verification failed" in line, line


def test_system_store_does_not_trust_private_ca(tls_server, tmp_path):
    rc, out, err = tls_server.run(tmp_path / "home-x", "--tls", "find", "123456")
    assert rc in (2, 3), (rc, out, err)
    if rc == 2:
        assert "certificate verification failed" in assert_one_error_line(err)


def test_name_mismatch_fails(server_factory, tmp_path):
    certs = make_certs(tmp_path / "named", "chat.example.org")
    srv = server_factory(extra_args=["--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key")])
    for host, reason in ((srv.host, "IP address mismatch"), ("localhost", "hostname mismatch")):
        address = f"{host}:{srv.port}"
        rc, out, err = run(tmp_path / "home-n", "--server", address, "--tls", "--ca", str(certs / "ca.pem"),
                           "register", "--email", "n@example.org", "--nick", "n", "--password-stdin",
                           stdin=PASSWORD + "\n")
        assert rc == 2, (host, rc, out, err)
        line = assert_one_error_line(err)
        assert f"TLS handshake with {address} failed: certificate verification failed: {reason}" in line, line


def test_tls_client_against_plaintext_server(server, certs, tmp_path):
    rc, out, err = server.run(tmp_path / "home-t", *tls_args(certs), "find", "123456")
    assert rc in (2, 3), (rc, out, err)
    rc, out, err = server.run(tmp_path / "home-t", *tls_args(certs), "register", "--email", "t@example.org",
                              "--nick", "t", "--password-stdin", stdin=PASSWORD + "\n")
    assert rc == 2, (rc, out, err)
    line = assert_one_error_line(err)
    assert f"TLS handshake with {server.address} failed" in line, line
    assert server.proc.poll() is None


def test_env_variables_select_tls(tls_server, certs, tmp_path):
    from conftest import clean_env
    env = clean_env(tmp_path)
    env["OCCHAT_TLS"] = "1"
    env["OCCHAT_CA"] = str(certs / "ca.pem")
    rc, out, err = run(tmp_path / "home-e", "--server", tls_server.address, "register", "--email", "e@example.org",
                       "--nick", "e", "--password-stdin", stdin=PASSWORD + "\n", env=env)
    assert (rc, err) == (0, ""), (rc, out, err)
    assert re.fullmatch(r"\d{6}\n", out)


def test_silent_client_is_closed_after_handshake_timeout(server_factory, certs):
    srv = server_factory(extra_args=["--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
                                     "--tls-handshake-timeout-seconds", "1"])
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        started = time.monotonic()
        assert s.recv(1) == b""  # closed by the server, not by our timeout
        assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while "no TLS handshake within the time limit" not in srv.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "no TLS handshake within the time limit" in srv.stderr()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_python_ssl_client_sees_tls12_or_better(tls_server, certs):
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.version() in ("TLSv1.3", "TLSv1.2")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(certs / "ca.pem"))
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        context.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with context.wrap_socket(raw, server_hostname="localhost"):
                pass


@pytest.mark.parametrize("args, message", [
    (["--tls-cert", "{certs}/server.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-key", "{certs}/server.key"], "--tls-cert and --tls-key go together"),
    (["--tls-cert", "{certs}/missing.pem", "--tls-key", "{certs}/server.key"], "cannot read"),
    (["--tls-cert", "{certs}/server.pem", "--tls-key", "{other}/server.key"], "does not match the certificate"),
    (["--tls-cert", "{certs}/server.key", "--tls-key", "{certs}/server.key"], "not a usable PEM certificate chain"),
])
def test_server_rejects_bad_tls_flags(certs, tmp_path, args, message):
    other = make_certs(tmp_path / "other")
    args = [a.format(certs=certs, other=other) for a in args]
    proc = subprocess.run([str(server_binary()), "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "data"),
                           *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("occhat-server: ") and message in lines[0], proc.stderr
    assert not (tmp_path / "data").exists()  # nothing touched on disk
