"""--server / OCCHAT_SERVER with a list of servers (the nodes of a cluster): commands work through
any node that answers, a bad entry is a usage error naming it, and `watch` and `shell` move to
the next node when theirs dies and go on from their cursor (no event missed, none repeated).

No cluster here: "another node" is a second occhat-server started on another port over the SAME
SQLite data directory after the first was SIGKILLed, which is what clients see of a cluster
whose node died."""

import json
import os
import re
import signal
import time

from conftest import (PASSWORD, assert_json_error, assert_one_error_line, befriend, clean_env, drain_inbox,
                      free_port, make_user, run)
from test_shell import Shell


def closed_address():
    return f"127.0.0.1:{free_port()}"


def is_message(text=None):
    return lambda e: e.get("type") == "message" and (text is None or e.get("text") == text)


def test_commands_work_through_the_second_entry_when_the_first_is_closed(server, tmp_path):
    home = tmp_path / "home"
    servers = f"{closed_address()},{server.address}"
    rc, out, err = run(home, "--server", servers, "register", "--email", "a@x", "--nick", "alice",
                       "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (rc, out, err)
    user_id = int(out)
    rc, out, err = run(home, "--server", servers, "login", user_id, "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, out, err) == (0, f"logged in as {user_id} (alice)\n", ""), (rc, out, err)
    # The session remembers the list as given: later commands fail over without --server.
    assert json.loads((home / "session.json").read_text())["server"] == servers
    assert run(home, "whoami") == (0, f"{user_id} alice <a@x>\n", "")
    # OCCHAT_SERVER takes a list too.
    env = clean_env(tmp_path)
    env["OCCHAT_SERVER"] = f"{closed_address()},{closed_address()},{server.address}"
    assert run(home, "whoami", env=env) == (0, f"{user_id} alice <a@x>\n", "")


def test_every_address_failing_is_exit_2_naming_each_and_why(tmp_path):
    first, second = closed_address(), closed_address()
    rc, out, err = run(tmp_path / "home", "--server", f"{first},{second}", "register", "--email", "a@x",
                       "--nick", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, out) == (2, ""), (rc, out, err)
    assert_one_error_line(err, f"cannot reach server {first},{second}: {first}: Connection refused; "
                               f"{second}: Connection refused")


def test_a_bad_entry_is_a_usage_error_naming_it(tmp_path):
    home = tmp_path / "home"
    good = "127.0.0.1:7878"
    for bad in ("nonsense", "", "127.0.0.1:0", "127.0.0.1:70000", "host:"):
        servers = f"{good},{bad}"
        rc, out, err = run(home, "--server", servers, "register", "--email", "a@x", "--nick", "alice",
                           "--password-stdin", stdin=PASSWORD + "\n")
        assert (rc, out) == (1, ""), (servers, rc, out, err)
        assert_one_error_line(err, f'invalid server address "{bad}" in "{servers}": expected HOST:PORT or a '
                                   f"comma-separated list HOST:PORT,HOST:PORT,...")
    env = clean_env(tmp_path)
    env["OCCHAT_SERVER"] = f"{good},,{good}"
    rc, out, err = run(home, "whoami", json=True, env=env)
    error = assert_json_error(out, err, "invalid_argument", 1)
    assert error["message"].startswith('invalid server address "" in '), error
    # A single address keeps its message.
    rc, out, err = run(home, "--server", "nonsense", "whoami")
    assert (rc, out) == (1, "")
    assert_one_error_line(err, 'invalid server address "nonsense": expected HOST:PORT')


def test_watch_fails_over_to_the_next_node_and_shows_what_was_sent_meanwhile_exactly_once(
        server_factory, tmp_path, watch_factory):
    node_a = server_factory()
    port_b = free_port()
    servers = f"{node_a.address},127.0.0.1:{port_b}"
    a, b = make_user(node_a, tmp_path, "alice"), make_user(node_a, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(b)
    w = watch_factory(b, server=servers)
    a.ok("send", b.id, "before")
    w.wait_for(is_message("before"), what="the message sent before the node died")

    node_a.stop(signal.SIGKILL)
    w.wait_stderr("occhat: connection lost; reconnecting in ")
    node_b = server_factory(data_dir=node_a.data_dir, port=port_b)
    for text in ("meanwhile 1", "meanwhile 2"):
        rc, out, err = run(a.home, "--server", servers, "send", b.id, text)
        assert (rc, err) == (0, ""), (rc, out, err)
    w.wait_for(is_message("meanwhile 2"), timeout=30, what="the messages sent while it was away")
    w.wait_stderr(f"occhat: reconnected to {node_b.address}")
    rc, out, err = run(a.home, "--server", node_b.address, "send", b.id, "after")
    assert (rc, err) == (0, ""), (rc, out, err)
    w.wait_for(is_message("after"), what="the message sent after the failover")
    w.collect(quiet=1.0)  # a repeat, if any, would arrive now
    assert [e["text"] for e in w.seen if e.get("type") == "message"] == ["before", "meanwhile 1", "meanwhile 2",
                                                                        "after"]
    assert w.interrupt() == 0
    # Everything it showed was acknowledged on the node it ended on.
    assert run(b.home, "--server", node_b.address, "inbox") == (0, "", "")


def test_watch_leaves_a_hung_node_for_the_next_one(postgresql_database, server_factory, tmp_path, watch_factory):
    """A node that hangs (SIGSTOP: its socket stays open, the kernel still takes our pings) is
    noticed by the keepalive timeout (10 s after a ping) and left for the next node. Both nodes
    run over one PostgreSQL database (a stopped SQLite server would still hold its data dir);
    their 3 s idle timeout makes the CLI ping every second, so the bound is 1 + 10 s."""
    idle = ["--idle-timeout-seconds", "3"]
    node_a = server_factory(store=postgresql_database, extra_args=idle)
    node_b = server_factory(store=postgresql_database, extra_args=idle)
    servers = f"{node_a.address},{node_b.address}"
    a, b = make_user(node_a, tmp_path, "alice"), make_user(node_a, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(b)
    w = watch_factory(b, server=servers)
    a.ok("send", b.id, "before")
    w.wait_for(is_message("before"), what="the message sent before the node hung")

    os.kill(node_a.proc.pid, signal.SIGSTOP)
    try:
        frozen_at = time.monotonic()
        rc, out, err = run(a.home, "--server", node_b.address, "send", b.id, "meanwhile")
        assert (rc, err) == (0, ""), (rc, out, err)
        w.wait_stderr("occhat: connection lost; reconnecting in ", timeout=30)
        assert time.monotonic() - frozen_at < 11 + 3, "noticed too late"
        w.wait_stderr(f"occhat: reconnected to {node_b.address}")
        w.wait_for(is_message("meanwhile"), what="the message sent while the node hung")
        w.collect(quiet=1.0)  # a repeat, if any, would arrive now
        assert [e["text"] for e in w.seen if e.get("type") == "message"] == ["before", "meanwhile"]
        assert w.interrupt() == 0
    finally:
        os.kill(node_a.proc.pid, signal.SIGCONT)


def test_shell_fails_over_to_the_next_node(server_factory, tmp_path):
    node_a = server_factory()
    port_b = free_port()
    servers = f"{node_a.address},127.0.0.1:{port_b}"
    a, b = make_user(node_a, tmp_path, "alice"), make_user(node_a, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(b)
    shell = Shell(b, server=servers)
    try:
        shell.expect("/help for commands")
        a.ok("send", b.id, "before")
        shell.expect(rf"alice \({a.id}\): before")

        node_a.stop(signal.SIGKILL)
        shell.expect(r"occhat: connection lost; reconnecting in ")
        node_b = server_factory(data_dir=node_a.data_dir, port=port_b)
        run(a.home, "--server", servers, "send", b.id, "meanwhile")
        shell.expect(f"occhat: reconnected to {re.escape(node_b.address)}", timeout=30)
        shell.expect(rf"alice \({a.id}\): meanwhile")
        shell.screen(settle=1.0)  # a repeat, if any, would be printed now
        shown = shell.raw + (shell.child.before or "")
        assert len(re.findall(rf"alice \({a.id}\): meanwhile", shown)) == 1, shown
        assert len(re.findall(rf"alice \({a.id}\): before", shown)) == 1, shown
        # Typed lines go out through the new node.
        shell.send(f"/chat {a.id}\r")
        shell.send("typed after the failover\r")
        deadline = time.monotonic() + 15
        while "typed after the failover" not in run(a.home, "--server", node_b.address, "inbox")[1]:
            assert time.monotonic() < deadline, "alice never received the line typed after the failover"
            time.sleep(0.2)
        assert shell.quit() == 0
    finally:
        shell.close()


def test_tls_checks_each_entry_for_its_own_host(server_factory, tmp_path):
    """The certificate is valid for "localhost" only: the entry 127.0.0.1:PORT fails its check
    (skipped, named in the error of a list that has nothing else) and localhost:PORT, the same
    node, passes."""
    from test_tls import make_certs

    certs = make_certs(tmp_path / "certs", "localhost")
    srv = server_factory(extra_args=["--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key")])
    tls = ["--tls", "--ca", str(certs / "ca.pem")]
    home = tmp_path / "home"
    by_ip = f"127.0.0.1:{srv.port}"
    by_name = f"localhost:{srv.port}"
    rc, out, err = run(home, "--server", f"{by_ip},{by_name}", *tls, "register", "--email", "a@x", "--nick", "alice",
                       "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (rc, out, err)
    rc, out, err = run(home, "--server", f"{by_ip},{closed_address()}", *tls, "register", "--email", "b@x",
                       "--nick", "bob", "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, out) == (2, ""), (rc, out, err)
    line = assert_one_error_line(err)
    assert f"TLS handshake with {by_ip} failed: certificate verification failed: IP address mismatch; " in line, line
