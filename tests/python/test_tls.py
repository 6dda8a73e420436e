"""occhat.Client(..., tls=True, ca_file=...) against an occhat-server with --tls-cert/--tls-key."""

import json
import subprocess

import pytest

from conftest import PASSWORD, REPO, Server

import occhat


def make_certs(directory, *names):
    proc = subprocess.run(["bash", str(REPO / "scripts" / "make-certs.sh"), str(directory), *names],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return directory


@pytest.fixture
def certs(tmp_path):
    return make_certs(tmp_path / "certs")


@pytest.fixture
def tls_server(tmp_path, certs):
    server = Server(tmp_path / "tls", ["--tls-cert", certs / "server.pem", "--tls-key", certs / "server.key"])
    server.tmp.mkdir()
    yield server.start().address
    assert server.stop() == 0, "the TLS server did not exit 0 on SIGTERM"


def test_client_over_tls_remembers_tls_in_the_session(tls_server, certs, tmp_path):
    home_a, home_b = tmp_path / "py-a", tmp_path / "py-b"
    alice = occhat.Client(tls_server, home_a, tls=True, ca_file=str(certs / "ca.pem"))
    bob = occhat.Client(tls_server, home_b, ca_file=certs / "ca.pem")  # ca_file implies tls
    assert alice.tls and bob.tls
    alice_id = alice.register("alice@example.org", "alice", PASSWORD)
    bob_id = bob.register("bob@example.org", "bob", PASSWORD)
    alice.login(alice_id, PASSWORD)
    bob.login(bob_id, PASSWORD)
    saved = json.loads((home_a / "session.json").read_text())
    assert saved["tls"] is True and saved["ca"] == str((certs / "ca.pem").resolve())

    alice.add_friend(bob_id)
    bob.add_friend(alice_id)
    alice.send(bob_id, "hello over TLS")
    alice.close()
    bob.close()

    # A new Client of the same home and server uses TLS without being told (like the CLI).
    again = occhat.Client(tls_server, home_b)
    assert again.tls and again.ca_file == str((certs / "ca.pem").resolve())
    texts = [m.text for m in again.history(alice_id)]
    assert texts == ["hello over TLS"]
    again.close()


def test_wrong_ca_raises_connection_error(tls_server, tmp_path):
    other = make_certs(tmp_path / "other")
    client = occhat.Client(tls_server, tmp_path / "py-x", tls=True, ca_file=str(other / "ca.pem"))
    with pytest.raises(occhat.ConnectionError) as info:
        client.register("x@example.org", "x", PASSWORD)
    assert info.value.code == "unavailable" and info.value.exit_code == 2
    assert f"TLS handshake with {tls_server} failed: certificate verification failed" in str(info.value)


def test_plaintext_client_raises_connection_error(tls_server, tmp_path):
    client = occhat.Client(tls_server, tmp_path / "py-p")
    assert not client.tls
    with pytest.raises(occhat.ConnectionError) as info:
        client.register("p@example.org", "p", PASSWORD)
    assert "requires TLS" in str(info.value)
