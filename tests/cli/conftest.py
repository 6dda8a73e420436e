"""Fixtures for the end-to-end tests of the `occhat` CLI against a real `occhat-server`.

The binaries come from OCCHAT_BUILD_DIR (default <repo>/build), the directory scripts/test.sh
builds into. Every server gets a fresh data dir under pytest's tmp_path and port 0; every CLI call
runs in its own session (no controlling terminal, stdin from /dev/null unless given) with a
timeout, so a test can fail but never hang.
"""

import json as jsonlib
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("OCCHAT_BUILD_DIR", REPO / "build")).resolve()

CLI_TIMEOUT = 30  # seconds per CLI call (argon2id makes register/login take a moment)
START_TIMEOUT = 15  # seconds for the server to print its listening line
STOP_TIMEOUT = 15  # seconds for the server to exit after SIGTERM

PASSWORD = "correct horse battery staple"
LISTENING = re.compile(r"^listening on (\d+\.\d+\.\d+\.\d+):(\d+)$")


def find_binary(name, subdirs):
    for sub in subdirs:
        candidate = BUILD_DIR / sub / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    for candidate in sorted(BUILD_DIR.glob(f"**/{name}")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"{name} not found under {BUILD_DIR} (build first, or set OCCHAT_BUILD_DIR)")


def server_binary():
    return find_binary("occhat-server", ["server", "bin", "."])


def cli_binary():
    return find_binary("occhat", ["cli", "bin", "."])


def clean_env(tmp_home):
    """The environment for child processes: no OCCHAT_* from the caller, HOME in a temp dir
    so the default ~/.occhat never touches the real one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCCHAT_")}
    env["HOME"] = str(tmp_home)
    env.setdefault("LANG", "C.UTF-8")
    return env


def free_port():
    """A port nothing listens on (bound and released; good enough for 'connection refused')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# OCCHAT_TEST_DURABILITY=process runs every test server with --durability process (commits
# written to the OS, not fsynced); unset, the server's default (disk).
DURABILITY = os.environ.get("OCCHAT_TEST_DURABILITY", "")


class Server:
    """A running occhat-server process. stdout and stderr go to files so that nothing the
    server prints can block it."""

    def __init__(self, data_dir, log_dir, extra_args=(), env=None, store=None):
        self.data_dir = pathlib.Path(data_dir)
        self.log_dir = pathlib.Path(log_dir)
        # --store LOCATION (e.g. a PostgreSQL URI) and OCCHAT_TEST_DURABILITY's --durability
        # first, so extra_args may still override them.
        self.extra_args = ((["--store", store] if store else []) + (["--durability", DURABILITY] if DURABILITY else [])
                           + list(extra_args))
        self.store = store
        self.env = env
        self.proc = None
        self.host = None
        self.port = None
        self.starts = 0

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    @property
    def stdout_path(self):
        return self.log_dir / f"server-{self.starts}.stdout"

    @property
    def stderr_path(self):
        return self.log_dir / f"server-{self.starts}.stderr"

    def start(self, port=0):
        """Starts the server; port 0 picks a free one, else that port (e.g. the previous one,
        so that running clients can reconnect)."""
        assert self.proc is None, "already running"
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        args = [str(server_binary()), "--listen", f"127.0.0.1:{port}", "--data-dir", str(self.data_dir),
                *self.extra_args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         env=self.env, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text(errors="replace")
            if "\n" in text:
                first = text.split("\n", 1)[0]
                m = LISTENING.match(first)
                assert m, f"unexpected first stdout line from occhat-server: {first!r}"
                self.host, self.port = m.group(1), int(m.group(2))
                assert self.port != 0
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"occhat-server exited with {self.proc.returncode} before listening; "
                            f"stderr: {self.stderr()!r}")
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"occhat-server did not print 'listening on' within {START_TIMEOUT}s; "
                    f"stderr: {self.stderr()!r}")

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and waits; returns the exit code (never hangs: SIGKILL after a timeout)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"occhat-server did not exit within {STOP_TIMEOUT}s of signal {sig}")

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self, same_port=False):
        port = self.port if same_port else 0
        assert self.stop() == 0
        return self.start(port)

    def stdout(self):
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def all_logs(self):
        """Everything any run of this server wrote to stdout and stderr."""
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("server-*")))

    def run(self, home, *args, **kwargs):
        return run(home, "--server", self.address, *args, **kwargs)

    # Conveniences for the common steps; each asserts success.
    def register(self, home, email="a@x", nick="alice", password=PASSWORD):
        rc, out, err = self.run(home, "register", "--email", email, "--nick", nick, "--password-stdin",
                                stdin=password + "\n")
        assert (rc, err) == (0, ""), (rc, out, err)
        assert re.fullmatch(r"\d{6}\n", out), out
        return int(out)

    def login(self, home, user_id, password=PASSWORD):
        rc, out, err = self.run(home, "login", str(user_id), "--password-stdin", stdin=password + "\n")
        assert (rc, err) == (0, ""), (rc, out, err)
        return out


_env_home = None


def run(home, *args, stdin=None, json=False, env=None, timeout=CLI_TIMEOUT, cwd=None):
    """Runs `occhat --home HOME [--json] ARGS...` without a terminal.

    home: a directory (or None to pass no --home). stdin: text or bytes fed to stdin (None:
    /dev/null). Arguments given as bytes are passed unchanged (e.g. invalid UTF-8). cwd: the
    working directory (None: the caller's). Returns (exit code, stdout, stderr) as text."""
    cmd = [str(cli_binary())]
    if home is not None:
        cmd += ["--home", str(home)]
    if json:
        cmd.append("--json")
    cmd += [a if isinstance(a, bytes) else str(a) for a in args]  # bytes: raw, maybe invalid UTF-8
    if env is None:
        env = clean_env(_env_home or home or "/nonexistent")
    try:
        if isinstance(stdin, str):
            stdin = stdin.encode()
        proc = subprocess.run(cmd, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, env=env, timeout=timeout, cwd=cwd,
                              start_new_session=True)  # no controlling terminal: /dev/tty fails
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"occhat {' '.join(map(str, args))} did not finish within {timeout}s "
                    f"(stdout {e.stdout!r}, stderr {e.stderr!r})")
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def parse_json(text):
    """Exactly one JSON object on stdout."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got {text!r}"
    value = jsonlib.loads(lines[0])
    assert isinstance(value, dict), value
    return value


def assert_one_error_line(err, message=None):
    """The CLI's error format: exactly one line `occhat: <message>` on stderr."""
    assert err.endswith("\n"), repr(err)
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {err!r}"
    assert lines[0].startswith("occhat: "), lines[0]
    if message is not None:
        assert lines[0] == f"occhat: {message}", lines[0]
    return lines[0]


def assert_json_error(out, err, code, exit_code):
    assert err == "", f"--json errors go to stdout only; stderr was {err!r}"
    value = parse_json(out)
    assert set(value) == {"error"}, value
    error = value["error"]
    assert error["code"] == code, error
    assert error["exit_code"] == exit_code, error
    assert isinstance(error["message"], str) and error["message"], error
    return error


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path):
    global _env_home
    _env_home = tmp_path / "fake-home"
    _env_home.mkdir(exist_ok=True)
    yield
    _env_home = None


@pytest.fixture
def server_factory(tmp_path):
    """Starts servers on demand: server_factory(extra_args=(), data_dir=None, store=None, port=0),
    store being a --store location (a PostgreSQL database: see the postgresql_database fixture),
    port 0 a free one. Every server still running at the end is stopped with SIGTERM and must
    exit 0."""
    servers = []

    def make(extra_args=(), data_dir=None, store=None, port=0):
        index = len(servers)
        data = pathlib.Path(data_dir) if data_dir else tmp_path / f"data{index}"
        srv = Server(data, tmp_path / f"logs{index}", extra_args, env=clean_env(tmp_path), store=store)
        servers.append(srv)
        return srv.start(port)

    yield make
    codes = [(srv.address, srv.stop()) for srv in servers]
    for address, code in codes:
        assert code in (None, 0), f"occhat-server {address} exited with {code} on SIGTERM"


# ---- PostgreSQL (issue 16) ----------------------------------------------------------------
# OCCHAT_TEST_PG_URI names a cluster whose role may create databases (scripts/test.sh starts a
# throwaway one; scripts/pg-cluster.sh start prints one). Tests that need it are skipped without.
PG_URI = os.environ.get("OCCHAT_TEST_PG_URI", "")
PG_CLUSTER_SCRIPT = REPO / "scripts" / "pg-cluster.sh"
_pg_databases = 0


def psql(uri, sql):
    """Runs `sql` on the database `uri` names with psql; raises on failure."""
    subprocess.run(["psql", uri, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], check=True, capture_output=True,
                   text=True, timeout=60, stdin=subprocess.DEVNULL)


def with_database(uri, name):
    """`uri` (postgresql://USER@HOST:PORT/DB[?...]) naming database `name` instead."""
    m = re.match(r"^(postgres(?:ql)?://[^/]*)(?:/[^?]*)?(\?.*)?$", uri)
    assert m, f"not a PostgreSQL URI: {uri}"
    return f"{m.group(1)}/{name}{m.group(2) or ''}"


@pytest.fixture
def postgresql_database():
    """The URI of a new, empty PostgreSQL database on OCCHAT_TEST_PG_URI's cluster, dropped at
    the end. Skips the test when no cluster is given."""
    global _pg_databases
    if not PG_URI:
        pytest.skip("OCCHAT_TEST_PG_URI is not set: no PostgreSQL cluster (scripts/test.sh starts one; "
                    "scripts/pg-cluster.sh start prints one)")
    _pg_databases += 1
    name = f"occhat_cli_{os.getpid()}_{_pg_databases}"
    psql(PG_URI, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(PG_URI, f"CREATE DATABASE {name}")
    yield with_database(PG_URI, name)
    psql(PG_URI, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def server(server_factory):
    """A fresh occhat-server on 127.0.0.1:<free port> with an empty data dir."""
    return server_factory()


@pytest.fixture
def home(tmp_path):
    """A --home directory that does not exist yet (the CLI creates it)."""
    return tmp_path / "home-a"


@pytest.fixture
def home2(tmp_path):
    return tmp_path / "home-b"


@pytest.fixture
def alice(server, home):
    """alice registered and logged in under `home`; returns her id."""
    user_id = server.register(home, "alice@example.org", "alice")
    server.login(home, user_id)
    return user_id


# ---- issue 3: several users, friends, long-lived `watch` processes ---------------------------

import queue  # noqa: E402  (kept next to the code that needs them)
import threading  # noqa: E402

TIME_TEXT = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"  # local time in text output
TIME_JSON = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # ISO-8601 UTC with ms
WATCH_TIMEOUT = 20  # seconds to wait for an expected `watch` line


class User:
    """A registered, logged-in user with their own --home on `server`."""

    def __init__(self, server, name, home, user_id):
        self.server = server
        self.name = name
        self.home = home
        self.id = user_id

    def __repr__(self):
        return f"User({self.name}, {self.id})"

    def run(self, *args, **kwargs):
        return self.server.run(self.home, *args, **kwargs)

    def ok(self, *args, **kwargs):
        """Runs a command that must succeed silently on stderr; returns stdout."""
        rc, out, err = self.run(*args, **kwargs)
        assert (rc, err) == (0, ""), f"{self.name}: occhat {args}: rc {rc}, stdout {out!r}, stderr {err!r}"
        return out

    def jsonl(self, *args, **kwargs):
        """Runs a command with --json that must succeed; returns its JSON Lines as dicts."""
        out = self.ok(*args, json=True, **kwargs)
        return [jsonlib.loads(line) for line in out.splitlines() if line.strip()]

    def login_again(self):
        self.server.login(self.home, self.id)


def make_user(server, tmp_path, name):
    home = tmp_path / f"home-{name}"
    user_id = server.register(home, f"{name}@example.org", name)
    server.login(home, user_id)
    return User(server, name, home, user_id)


def befriend(x, y):
    """x asks, y accepts: they are friends afterwards (inbox items are left pending)."""
    assert x.ok("add", y.id) == f"friend request sent to {y.name} ({y.id})\n"
    assert y.ok("add", x.id) == f"you and {x.name} ({x.id}) are now friends\n"


def drain_inbox(user):
    """Prints and acknowledges whatever is pending (e.g. friend-request notices)."""
    user.ok("inbox")
    assert user.ok("inbox") == ""


class Users:
    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c


@pytest.fixture
def users(server, tmp_path):
    """Three logged-in users on one server: a=alice, b=bob, c=carol; nobody is friends yet."""
    return Users(*(make_user(server, tmp_path, n) for n in ("alice", "bob", "carol")))


@pytest.fixture
def friends(users):
    """users, with alice and bob friends (alice asked, bob accepted) and both inboxes drained;
    carol is nobody's friend."""
    befriend(users.a, users.b)
    drain_inbox(users.a)
    drain_inbox(users.b)
    return users


class Watch:
    """A running `occhat watch` of one user. stdout is a pipe read by a thread into a queue
    (unless read=False: then nothing reads it until start_reader()); stderr goes to a file."""

    def __init__(self, user, log_path, json=True, read=True, extra_args=(), server=None):
        self.user = user
        self.json = json
        self.log_path = log_path
        cmd = [str(cli_binary()), "--server", server or user.server.address, "--home", str(user.home)]
        if json:
            cmd.append("--json")
        cmd += ["watch", *extra_args]
        with open(log_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                         env=clean_env(_env_home or user.home), start_new_session=True)
        self.lines = queue.Queue()
        self.seen = []  # every complete line read so far (parsed JSON when json=True)
        self.partial = b""
        self.reader = None
        if read:
            self.start_reader()

    def start_reader(self):
        def pump():
            buf = b""
            while True:
                try:
                    chunk = self.proc.stdout.read1(65536)
                except (ValueError, OSError):  # closed by the fixture's teardown
                    break
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self.lines.put(line.decode("utf-8", errors="replace"))
            self.partial = buf
            self.lines.put(None)  # EOF

        self.reader = threading.Thread(target=pump, daemon=True)
        self.reader.start()

    def _take(self, timeout):
        try:
            line = self.lines.get(timeout=max(timeout, 0))
        except queue.Empty:
            return False, None
        if line is None:
            self.lines.put(None)  # keep reporting EOF
            return True, None
        value = jsonlib.loads(line) if self.json else line
        self.seen.append(value)
        return True, value

    def wait_for(self, predicate, timeout=WATCH_TIMEOUT, what="a matching line"):
        """Reads lines until predicate(line) is true; returns that line."""
        deadline = time.monotonic() + timeout
        while True:
            got, value = self._take(deadline - time.monotonic())
            if got and value is None:
                pytest.fail(f"{self.user.name}'s watch ended (rc {self.proc.poll()}) before {what}; "
                            f"seen {self.seen!r}; stderr {self.stderr()!r}")
            if not got:
                pytest.fail(f"{self.user.name}'s watch printed no {what} within {timeout}s; "
                            f"seen {self.seen!r}; stderr {self.stderr()!r}")
            if predicate(value):
                return value

    def collect(self, quiet=1.0, timeout=WATCH_TIMEOUT):
        """Reads lines until none arrives for `quiet` seconds (or EOF); returns them."""
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got, value = self._take(quiet)
            if not got or value is None:
                break
            out.append(value)
        return out

    def stderr(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_stderr(self, needle, timeout=WATCH_TIMEOUT):
        deadline = time.monotonic() + timeout
        while needle not in self.stderr():
            if time.monotonic() > deadline:
                pytest.fail(f"{self.user.name}'s watch never wrote {needle!r} to stderr: {self.stderr()!r}")
            time.sleep(0.05)

    def interrupt(self, sig=signal.SIGINT, timeout=3):
        """Sends SIGINT (or SIGTERM); the watch must exit within `timeout` s. Returns the exit code
        and collects the rest of stdout into self.seen."""
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"{self.user.name}'s watch did not exit within {timeout}s of signal {sig}")
        self.finish()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

    def finish(self):
        """After the process ended: reads what is left on stdout (complete lines only)."""
        if self.reader is None:
            self.start_reader()
        self.reader.join(timeout=10)
        while True:
            got, value = self._take(0)
            if not got or value is None:
                break
        return self.seen


@pytest.fixture
def watch_factory(server_factory, tmp_path):
    """watch_factory(user, json=True, read=True, extra_args=(), server=None) starts `occhat watch`
    for user (against `server`, HOST:PORT, instead of the user's server if given).
    Every watch still running at the end is killed (before the servers are stopped)."""
    watches = []

    def make(user, json=True, read=True, extra_args=(), server=None):
        log = tmp_path / f"watch-{user.name}-{len(watches)}.stderr"
        w = Watch(user, log, json=json, read=read, extra_args=extra_args, server=server)
        watches.append(w)
        return w

    yield make
    for w in watches:
        w.kill()
        if w.proc.stdout:
            w.proc.stdout.close()


def eventually(probe, done, timeout=15, interval=0.2):
    """Calls probe() until done(result) is true or `timeout` s passed; returns the last result
    (the caller asserts on it, so a failure shows what was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(interval)


# ---- issue 4: files --------------------------------------------------------------------------

import hashlib  # noqa: E402

CHUNK = 1 << 20  # the server's chunk size (UploadState.chunk_size)
KILL_TIMEOUT = 120  # seconds a transfer may take before a test gives up waiting for it


def write_random(path, size):
    """Writes `size` random bytes to `path` in 1 MiB blocks; returns their SHA-256 (hex)."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(CHUNK, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def spawn(user, *args, json=False, cwd=None):
    """Starts `occhat ARGS` for `user` in the background (no terminal); stdout and stderr go to
    pipes. The caller waits (with a timeout) or kills it."""
    cmd = [str(cli_binary()), "--server", user.server.address, "--home", str(user.home)]
    if json:
        cmd.append("--json")
    cmd += [str(a) for a in args]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=clean_env(_env_home or user.home), cwd=cwd, start_new_session=True)


def kill_when(proc, probe, threshold, what, timeout=KILL_TIMEOUT):
    """Polls probe() (bytes so far) without sleeping and SIGKILLs `proc` as soon as it reaches
    `threshold`. Returns the last probed value. Fails if the process ends first or takes too long."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        value = probe()
        if value >= threshold:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            return value
        if proc.poll() is not None:
            out, err = proc.communicate(timeout=10)
            pytest.fail(f"{what} ended (rc {proc.returncode}) before reaching {threshold} bytes "
                        f"(last seen {value}); stdout {out!r}, stderr {err!r}")
        polls += 1
        if polls % 256 == 0 and time.monotonic() > deadline:
            proc.kill()
            proc.wait(timeout=10)
            pytest.fail(f"{what} did not reach {threshold} bytes within {timeout}s (last seen {value})")


def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def upload_parts(server):
    """The server's unfinished upload files (DATA_DIR/files/uploads/*.part)."""
    return sorted((server.data_dir / "files" / "uploads").glob("*.part"))


def largest_upload_part(server):
    return max((file_size(p) for p in upload_parts(server)), default=0)


def reset_vm_hwm(pid):
    """Resets a process's VmHWM to its current RSS (Linux: "5" > /proc/PID/clear_refs), so that a
    later vm_hwm_bytes() is the peak since now. Needed because every login's argon2id hash
    (libsodium MEMLIMIT_INTERACTIVE) briefly takes 64 MiB, which is not what a file test measures."""
    pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")


def vm_hwm_bytes(pid):
    """The peak resident set size (VmHWM) of a running process, in bytes."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", line
            return int(value) * 1024
    pytest.fail(f"no VmHWM in /proc/{pid}/status")
