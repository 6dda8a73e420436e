"""The Debian package, installed on this machine as an operator would: scripts/package.sh, then
dpkg -i; the programs, man pages and the Python module are there; the server runs as the occhat
user with the packaged config (the unit's own command line); a message goes through; `dpkg -r`
keeps the data and `dpkg --purge` removes it.

Needs root and dpkg; skipped (with the reason) elsewhere, or when occhat is already installed or
/var/lib/occhat exists (the test never touches an operator's real installation)."""

import json
import os
import pathlib
import pwd
import re
import shlex
import shutil
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("OCCHAT_BUILD_DIR", ROOT / "build"))
UNIT = pathlib.Path("/usr/lib/systemd/system/occhat-server.service")
DATA = pathlib.Path("/var/lib/occhat")
PASSWORD = "correct horse battery"


def sh(*args, check=True, **kwargs):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL if "input" not in kwargs else None, **kwargs)
    if check:
        assert proc.returncode == 0, f"{args} exited {proc.returncode}: {proc.stdout} {proc.stderr}"
    return proc


def installed():
    return sh("dpkg-query", "-W", "-f=${Status}", "occhat", check=False).stdout.startswith("install ok installed")


def occhat_user_exists():
    try:
        pwd.getpwnam("occhat")
        return True
    except KeyError:
        return False


pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="installing a package needs root"),
    pytest.mark.skipif(shutil.which("dpkg") is None, reason="no dpkg on this machine"),
]


@pytest.fixture(scope="module")
def deb():
    if installed() or DATA.exists() or occhat_user_exists():
        pytest.skip("occhat is installed here already (or /var/lib/occhat or the occhat user exist); "
                    "the package test only runs on a machine without it")
    out = sh(ROOT / "scripts" / "package.sh", env={**os.environ, "OCCHAT_BUILD_DIR": str(BUILD)}).stdout
    path = pathlib.Path(out.strip().splitlines()[-1])
    assert re.fullmatch(r"occhat_\d+\.\d+\.\d+_amd64\.deb", path.name), path
    yield path
    if installed() or DATA.exists():
        sh("dpkg", "--purge", "occhat", check=False)


def run_cli(home, *args, stdin=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "OCCHAT_HOME": str(home)}
    proc = subprocess.run(["/usr/bin/occhat", *map(str, args)], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, stdin=None if stdin is not None else subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def unit_command_line():
    """ExecStart of the installed unit, as the argv it runs."""
    [line] = [l for l in UNIT.read_text().splitlines() if l.startswith("ExecStart=")]
    return shlex.split(line.split("=", 1)[1])


def test_control_fields_name_what_a_cluster_needs(deb):
    """The server links libnats (found by dpkg-shlibdeps); the NATS and PostgreSQL servers a
    cluster runs on are suggested, never depended on: a single node needs neither."""
    field = lambda name: sh("dpkg-deb", "-f", deb, name).stdout.strip()
    depends = field("Depends")
    assert re.search(r"\blibnats[0-9.]+\b", depends), depends
    assert "nats-server" not in depends and "postgresql" not in depends, depends
    assert not field("Recommends"), field("Recommends")
    assert [s.strip() for s in field("Suggests").split(",")] == ["nats-server", "postgresql"], field("Suggests")


def test_install_run_remove_purge(deb, tmp_path):
    sh("dpkg", "-i", deb)
    assert installed()

    # What the package put on the machine.
    assert sh("/usr/bin/occhat-server", "--version").stdout == "occhat-server 0.1.0\n"
    assert sh("/usr/bin/occhat", "--version").stdout.startswith("occhat 0.1.0")
    assert sh("man", "-w", "occhat").stdout.strip().endswith("man1/occhat.1.gz") or \
        sh("man", "-w", "occhat").stdout.strip().endswith("man1/occhat.1")
    assert sh("man", "-w", "8", "occhat-server").returncode == 0
    module = sh("/usr/bin/python3", "-c", "import occhat; print(occhat.__file__)", cwd="/",
                env={"PATH": "/usr/bin:/bin"}).stdout.strip()
    assert module.startswith("/usr/lib/python3/dist-packages/occhat/"), module
    assert pathlib.Path("/usr/share/bash-completion/completions/occhat").is_file()
    assert pathlib.Path("/etc/occhat/server.conf").is_file()
    assert pwd.getpwnam("occhat").pw_dir == str(DATA)
    assert DATA.is_dir() and DATA.stat().st_uid == pwd.getpwnam("occhat").pw_uid
    assert (DATA.stat().st_mode & 0o777) == 0o700
    if shutil.which("systemd-analyze"):
        verify = sh("systemd-analyze", "verify", UNIT, check=False)
        assert verify.returncode == 0, verify.stderr

    # The unit's command line, as the occhat user (no systemd needed), on a free port.
    argv = unit_command_line()
    assert argv[:3] == ["/usr/bin/occhat-server", "--config", "/etc/occhat/server.conf"], argv
    log = open(tmp_path / "server.log", "w")
    # setpriv execs the server itself (runuser would stay as its parent and swallow SIGTERM).
    as_occhat = ["setpriv", "--reuid=occhat", "--regid=occhat", "--init-groups"]
    server = subprocess.Popen([*as_occhat, *argv, "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=log, text=True, stdin=subprocess.DEVNULL)
    try:
        first = server.stdout.readline()
        match = re.fullmatch(r"listening on (127\.0\.0\.1:\d+)\n", first)
        assert match, (first, (tmp_path / "server.log").read_text())
        address = match.group(1)
        homes = {name: tmp_path / name for name in ("alice", "bob")}
        ids = {}
        for name, home in homes.items():
            rc, out, err = run_cli(home, "--server", address, "register", "--email", f"{name}@x", "--nick", name,
                                   "--password-stdin", stdin=PASSWORD + "\n")
            assert rc == 0, err
            ids[name] = int(out)
            assert run_cli(home, "login", ids[name], "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
        assert run_cli(homes["alice"], "add", ids["bob"])[0] == 0
        assert run_cli(homes["bob"], "add", ids["alice"])[0] == 0
        assert run_cli(homes["alice"], "send", ids["bob"], "hello from the package")[0] == 0
        rc, out, err = run_cli(homes["bob"], "--json", "history", ids["alice"])
        assert rc == 0, err
        assert [json.loads(l)["text"] for l in out.splitlines()] == ["hello from the package"]
        # The database was made by, and belongs to, the occhat user.
        assert (DATA / "occhat.db").stat().st_uid == pwd.getpwnam("occhat").pw_uid
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
        log.close()

    # remove: the programs go, the data and the config stay.
    sh("dpkg", "-r", "occhat")
    assert not pathlib.Path("/usr/bin/occhat-server").exists()
    assert (DATA / "occhat.db").is_file()
    assert pathlib.Path("/etc/occhat/server.conf").is_file()

    # purge: the data goes too.
    sh("dpkg", "--purge", "occhat")
    assert not DATA.exists()
    assert not pathlib.Path("/etc/occhat/server.conf").exists()
