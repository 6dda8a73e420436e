"""Fixtures for the Python binding tests: a real occhat-server (port 0, fresh data dir), the real
`occhat` CLI, and the `occhat` package from the build tree.

OCCHAT_BUILD_DIR (default <repo>/build) holds the binaries and python/occhat/; PYTHONPATH may
point at <build>/python already (scripts/test.sh does), otherwise it is added here. Every wait is
bounded so a test fails but never hangs.
"""

import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("OCCHAT_BUILD_DIR", REPO / "build")).resolve()
PYTHON_DIR = BUILD_DIR / "python"
EXAMPLES = REPO / "bindings" / "python" / "examples"
PASSWORD = "correct horse battery staple"
LISTENING = re.compile(r"^listening on (\S+):(\d+)$")

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

from occhat.testing import occhat_server, occhat_server_process  # noqa: E402,F401  (fixtures for test_aio.py)


def binary(name, sub):
    path = BUILD_DIR / sub / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} not found (build first, or set OCCHAT_BUILD_DIR)")
    return path


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate() until truthy; `what` may be a callable (evaluated on failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


class Server:
    """An occhat-server on `port` (0: a free one) over the data dir tmp/data; `name` names its
    log files (a second server over the same data, e.g. the next node after a failover, needs
    its own)."""

    def __init__(self, tmp, extra_args=(), port=0, name="server"):
        self.tmp = tmp
        self.extra_args = [str(a) for a in extra_args]
        self.port = port
        self.name = name
        self.proc = None
        self.address = None

    def start(self):
        out = self.tmp / f"{self.name}.stdout"
        with open(out, "wb") as o, open(self.tmp / f"{self.name}.stderr", "wb") as e:
            self.proc = subprocess.Popen(
                [str(binary("occhat-server", "server")), "--listen", f"127.0.0.1:{self.port}", "--data-dir",
                 str(self.tmp / "data"), *self.extra_args], stdin=subprocess.DEVNULL, stdout=o, stderr=e, start_new_session=True)

        def listening():
            text = out.read_text()
            if "\n" not in text:
                assert self.proc.poll() is None, (self.tmp / f"{self.name}.stderr").read_text()
                return None
            m = LISTENING.match(text.split("\n", 1)[0])
            assert m, text
            return f"{m.group(1)}:{m.group(2)}"

        self.address = wait_for(listening, 15, "occhat-server to listen")
        return self

    def kill(self):
        """SIGKILL: the server dies without closing anything (a node that crashed)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """Stops the server with SIGTERM; returns its exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


class Env:
    """The server plus helpers to drive the CLI and start bot processes."""

    def __init__(self, tmp, server):
        self.tmp = tmp
        self.server = server
        self.children = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OCCHAT_")}
        self.env["HOME"] = str(tmp)
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(PYTHON_DIR)] + ([os.path.abspath(p) for p in os.environ["PYTHONPATH"].split(os.pathsep)] if os.environ.get("PYTHONPATH") else []))
        self.env.setdefault("LANG", "C.UTF-8")

    def cli(self, home, *args, stdin=None, check=True, timeout=60):
        cmd = [str(binary("occhat", "cli")), "--home", str(home), "--server", self.server.address,
               *map(str, args)]
        proc = subprocess.run(cmd, input=(stdin or "").encode(), capture_output=True, env=self.env,
                              timeout=timeout, start_new_session=True)
        out, err = proc.stdout.decode(), proc.stderr.decode()
        if check:
            assert proc.returncode == 0, (args, proc.returncode, out, err)
        return proc.returncode, out, err

    def user(self, name):
        """Registers `name` with the CLI and logs it in, in its own home; returns (id, home)."""
        home = self.tmp / f"home-{name}"
        _, out, _ = self.cli(home, "register", "--email", f"{name}@example.org", "--nick", name,
                             "--password-stdin", stdin=PASSWORD + "\n")
        user_id = int(out)
        self.cli(home, "login", user_id, "--password-stdin", stdin=PASSWORD + "\n")
        return user_id, home

    def befriend(self, a, b):
        self.cli(a[1], "add", b[0])
        self.cli(b[1], "add", a[0])

    def start_python(self, script, *args, log_name="bot"):
        """Starts `/usr/bin/python3 script args...` with the build tree's occhat; logs to tmp."""
        out = open(self.tmp / f"{log_name}.log", "ab")
        proc = subprocess.Popen([sys.executable, str(script), *map(str, args)], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=self.tmp)
        out.close()
        self.children.append(proc)
        return proc

    def log(self, log_name="bot"):
        path = self.tmp / f"{log_name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cleanup(self):
        for proc in self.children:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def env(tmp_path):
    server = Server(tmp_path).start()
    e = Env(tmp_path, server)
    try:
        yield e
    finally:
        e.cleanup()
        server.stop()
