"""A list of servers (the nodes of a cluster) in occhat.Client, occhat.aio.Client and the bots:
calls work through any node that answers, a bad entry raises InvalidArgumentError naming it, and
a bot whose node dies moves to the next and handles what was sent meanwhile exactly once.

No cluster here: "the next node" is a second occhat-server started on another port over the SAME
data directory after the first was SIGKILLed, which is what clients see of a cluster whose node
died."""

import asyncio
import os
import signal
import socket
import time

import pytest

from conftest import PASSWORD, Server, wait_for

import occhat
import occhat.aio

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_address():
    """HOST:PORT where nothing listens (a port the kernel just gave out and took back)."""
    return f"127.0.0.1:{free_port()}"


def test_client_works_through_the_second_entry_when_the_first_is_closed(env):
    user_id, home = env.user("alice")
    servers = f"{closed_address()},{env.server.address}"
    with occhat.Client(servers, home) as client:
        assert client.whoami().id == user_id
        assert client.connected_to == env.server.address
        assert client.server == servers


def test_login_remembers_the_list_as_given(env, tmp_path):
    user_id, _ = env.user("alice")
    servers = f"{closed_address()},{env.server.address}"
    home = tmp_path / "fresh-home"
    with occhat.Client(servers, home) as client:
        client.login(user_id, PASSWORD)
    # A client without a server uses the saved one: the whole list.
    with occhat.Client(None, home) as client:
        assert client.server == servers
        assert client.whoami().id == user_id


def test_aio_client_works_through_the_second_entry(env):
    user_id, home = env.user("alice")
    servers = f"{closed_address()},{closed_address()},{env.server.address}"

    async def main():
        async with occhat.aio.Client(servers, home) as client:
            return (await client.whoami()).id, client.connected_to

    assert asyncio.run(main()) == (user_id, env.server.address)


def test_every_entry_failing_raises_connection_error_naming_each(env):
    _, home = env.user("alice")
    first, second = closed_address(), closed_address()
    with occhat.Client(f"{first},{second}", home) as client:
        with pytest.raises(occhat.ConnectionError) as raised:
            client.whoami()
    assert raised.value.code == "unavailable"
    assert str(raised.value) == (f"cannot reach server {first},{second}: {first}: Connection refused; "
                                 f"{second}: Connection refused")


@pytest.mark.parametrize("bad", ["nonsense", "", "127.0.0.1:0"])
def test_a_bad_entry_raises_invalid_argument_naming_it(env, bad):
    _, home = env.user("alice")
    servers = f"{env.server.address},{bad}"
    with occhat.Client(servers, home) as client:
        with pytest.raises(occhat.InvalidArgumentError) as raised:
            client.whoami()
    assert raised.value.exit_code == 1
    assert str(raised.value) == (f"invalid server address '{bad}' in '{servers}' "
                                 f"(expected HOST:PORT or a comma-separated list of them)")


@pytest.mark.parametrize("script", ["record_bot.py", "aio_record_bot.py"])
def test_bot_fails_over_to_the_next_node_and_handles_what_was_sent_meanwhile_once(env, script):
    alice, bot = env.user("alice"), env.user("bot")
    env.befriend(alice, bot)
    node_a = env.server
    node_b = Server(env.tmp, port=free_port(), name="node-b")
    servers = f"{node_a.address},127.0.0.1:{node_b.port}"
    out = env.tmp / "handled.txt"

    def handled():
        return [line.split(" ", 1)[1] for line in out.read_text().splitlines()] if out.exists() else []

    proc = env.start_python(os.path.join(HERE, script), servers, bot[1], out)
    env.cli(alice[1], "send", bot[0], "before")
    wait_for(lambda: handled() == ["before"], 20, lambda: f"'before' handled; log {env.log()}")

    node_a.kill()
    node_b.start()
    try:
        env.server = node_b  # env.cli talks to the node that is left
        for text in ("meanwhile 1", "meanwhile 2"):
            env.cli(alice[1], "send", bot[0], text)
        wait_for(lambda: len(handled()) >= 3, 30, lambda: f"the messages sent meanwhile; log {env.log()}")
        env.cli(alice[1], "send", bot[0], "after")
        wait_for(lambda: len(handled()) >= 4, 20, lambda: f"'after' handled; log {env.log()}")
        wait_for(lambda: f"reconnected to {node_b.address}" in env.log(), 10, lambda: f"the notice; log {env.log()}")
        proc.terminate()
        proc.wait(timeout=10)
        assert handled() == ["before", "meanwhile 1", "meanwhile 2", "after"], env.log()
    finally:
        env.server = node_a
        node_b.stop()


def test_keepalive_timeout_notices_a_hung_node_and_the_next_connection_goes_to_the_next(env):
    """A node that hangs (SIGSTOP: its socket stays open) answers no ping: with keepalive_timeout
    the client counts the connection as lost instead of waiting forever. Node B here is another
    server (its own data: a stopped SQLite server still holds its data dir), so only where the
    next connection goes is checked; the CLI's tests show a watch resuming over PostgreSQL."""
    user_id, home = env.user("alice")
    (env.tmp / "b").mkdir()
    node_b = Server(env.tmp / "b", name="node-b").start()
    node_a = env.server
    try:
        with occhat.Client(f"{node_a.address},{node_b.address}", home, keepalive_interval=0.2,
                           keepalive_timeout=0.5) as client:
            assert client.whoami().id == user_id and client.connected_to == node_a.address
            events = client.events(timeout=10, announce_presence=False)  # on this connection
            os.kill(node_a.proc.pid, signal.SIGSTOP)
            try:
                frozen_at = time.monotonic()
                # The subscription waits on A, which hangs: the connection is lost within 0.2 +
                # 0.5 s, not after the 15 s request_timeout.
                with pytest.raises(occhat.ConnectionError) as raised:
                    next(events)
                assert time.monotonic() - frozen_at < 3, raised.value
                assert raised.value.code == "unavailable", raised.value
            finally:
                os.kill(node_a.proc.pid, signal.SIGCONT)
            with pytest.raises(occhat.AuthError):  # B does not know alice's session
                client.whoami()
            assert client.connected_to == node_b.address
    finally:
        node_b.stop()
