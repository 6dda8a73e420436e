"""A JSON-RPC 2.0 client for `occhat daemon` that is deliberately NOT the SDK: Python's json over
a pipe (the daemon's stdin/stdout) or over its UNIX socket, one JSON object per line."""

import itertools
import json as jsonlib
import queue
import socket
import subprocess
import threading
import time

import pytest

from conftest import cli_binary, clean_env

RPC_TIMEOUT = 20  # seconds for an answer or an expected notification


class RpcClient:
    """Reads lines on a thread; answers (with "id") go to one queue, notifications to another."""

    def __init__(self, write, read_chunk, name):
        self._write = write
        self._read_chunk = read_chunk
        self.name = name
        self._ids = itertools.count(1)
        self.answers = queue.Queue()
        self.notes = queue.Queue()
        self.seen_notes = []
        self.eof = threading.Event()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self):
        buf = b""
        while True:
            try:
                chunk = self._read_chunk()
            except (OSError, ValueError):
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                message = jsonlib.loads(line)  # the daemon writes nothing else
                assert message["jsonrpc"] == "2.0", message
                (self.answers if "id" in message else self.notes).put(message)
        self.eof.set()

    def send_raw(self, data):
        self._write(data if isinstance(data, bytes) else data.encode())

    def request(self, method, params=None, id=None):
        """Sends a request; returns its id."""
        rid = next(self._ids) if id is None else id
        message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send_raw(jsonlib.dumps(message) + "\n")
        return rid

    def answer(self, timeout=RPC_TIMEOUT):
        try:
            return self.answers.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{self.name}: no answer within {timeout}s")

    def call_raw(self, method, params=None):
        """The whole response object of one call."""
        rid = self.request(method, params)
        response = self.answer()
        assert response["id"] == rid, response
        return response

    def call(self, method, params=None):
        """The result of a call that must succeed."""
        response = self.call_raw(method, params)
        assert "result" in response, f"{self.name}: {method} {params} failed: {response}"
        return response["result"]

    def error(self, method, params=None):
        """The error object of a call that must fail."""
        response = self.call_raw(method, params)
        assert "error" in response and "result" not in response, response
        return response["error"]

    def note(self, predicate=lambda n: True, timeout=RPC_TIMEOUT, what="a notification"):
        """The next notification matching `predicate` (others are skipped but kept in seen_notes)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.notes.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                pytest.fail(f"{self.name}: no {what} within {timeout}s; seen {self.seen_notes!r}")
            self.seen_notes.append(message)
            if predicate(message):
                return message

    def events(self, count, timeout=RPC_TIMEOUT):
        """The params of the next `count` "event" notifications."""
        return [self.note(lambda n: n["method"] == "event", timeout, f"event {i + 1} of {count}")["params"]
                for i in range(count)]

    def quiet_events(self, quiet=1.5):
        """The "event" notifications that arrive until none has for `quiet` seconds."""
        out = []
        while True:
            try:
                message = self.notes.get(timeout=quiet)
            except queue.Empty:
                return out
            self.seen_notes.append(message)
            if message["method"] == "event":
                out.append(message["params"])


class DaemonProcess(RpcClient):
    """`occhat daemon` of one user, spoken to over its stdin/stdout."""

    def __init__(self, user, log_path, extra_args=()):
        cmd = [str(cli_binary()), "--server", user.server.address, "--home", str(user.home), "daemon", *extra_args]
        self.log_path = log_path
        with open(log_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         env=clean_env(user.home), start_new_session=True)

        def write(data):
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

        super().__init__(write, lambda: self.proc.stdout.read1(65536), f"{user.name}'s daemon")

    def stderr(self):
        return self.log_path.read_text(errors="replace")

    def close_stdin(self, timeout=10):
        """Ends the input; the daemon must exit 0."""
        self.proc.stdin.close()
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


class SocketClient(RpcClient):
    """One connection to a daemon's --socket."""

    def __init__(self, path, name="socket client"):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        super().__init__(self.sock.sendall, lambda: self.sock.recv(65536), name)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def daemon_factory(server_factory, tmp_path):
    """daemon_factory(user, extra_args=()) starts `occhat daemon` for user; every daemon still
    running at the end is killed (before the servers are stopped)."""
    daemons = []

    def make(user, extra_args=()):
        d = DaemonProcess(user, tmp_path / f"daemon-{user.name}-{len(daemons)}.stderr", extra_args)
        daemons.append(d)
        return d

    yield make
    for d in daemons:
        d.kill()
