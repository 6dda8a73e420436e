"""scripts/cluster.sh (issue 17, operations): a local cluster of a throwaway PostgreSQL, a
nats-server and N occhat-server nodes, as a user trying a cluster runs it: up prints the
--server list, a user registered on one node logs in on another, kill/start/status manage single
nodes, and down leaves no process and no state behind.

Needs postgresql and nats-server (scripts/setup.sh installs both); starts its own of each."""

import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

from conftest import BUILD_DIR, PASSWORD, REPO, run

SCRIPT = REPO / "scripts" / "cluster.sh"
ADDRESS = re.compile(r"127\.0\.0\.1:\d+")


def cluster_sh(state_dir, *args, env_extra=None, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCCHAT_")}
    env["OCCHAT_BUILD_DIR"] = str(BUILD_DIR)
    env.update(env_extra or {})
    proc = subprocess.run(["bash", str(SCRIPT), "--dir", str(state_dir), *map(str, args)], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def status(state_dir):
    rc, out, err = cluster_sh(state_dir, "status")
    assert rc == 0, err
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()}


def alive(pid):
    """A live, non-zombie process."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def pids_of(state_dir, nodes):
    """Every process the cluster runs: nodes, nats-server and the PostgreSQL postmaster."""
    pids = [int((state_dir / f"node{i}" / "pid").read_text()) for i in range(1, nodes + 1)]
    pids.append(int((state_dir / "nats.pid").read_text()))
    env = (state_dir / "cluster.env").read_text()
    pg_dir = pathlib.Path(re.search(r"^PG_DIR='([^']+)'", env, re.M).group(1))
    pids.append(int((pg_dir / "data" / "postmaster.pid").read_text().split()[0]))
    return pids, pg_dir


@pytest.fixture
def state_dir(tmp_path):
    d = tmp_path / "cluster"
    yield d
    if d.exists():  # a failed test still stops what it started
        cluster_sh(d, "down")


def test_up_register_on_one_node_login_on_another_kill_start_down(state_dir, tmp_path):
    rc, out, err = cluster_sh(state_dir, "up", "--no-fsync")
    assert rc == 0, err
    servers = out.strip().split(",")
    assert len(servers) == 3 and all(ADDRESS.fullmatch(s) for s in servers), out
    assert out == ",".join(servers) + "\n", "stdout is the --server list only"
    assert f"OCCHAT_SERVER={out.strip()} occhat register" in err, err
    # Nodes start before NATS and wait for it rather than fail.
    assert "before NATS: they wait" in err, err
    assert f"{state_dir}/node*/log" in err, err

    parts = status(state_dir)
    assert [p for p in parts] == ["postgresql", "nats", "node1", "node2", "node3"], parts
    assert all(v[0] == "running" for v in parts.values()), parts
    assert [parts[f"node{i}"][1] for i in (1, 2, 3)] == servers

    # A user registered through node 1 logs in through node 3: one store behind every node.
    home = tmp_path / "home"
    rc, out, err = run(home, "--server", servers[0], "register", "--email", "a@example.org", "--nick", "alice",
                       "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (out, err)
    user = out.strip()
    rc, out, err = run(home, "--server", servers[2], "login", user, "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (out, err)
    rc, out, err = run(home, "--server", servers[2], "whoami")
    assert rc == 0 and user in out, (out, err)

    # up twice: a clear error, and the running cluster is untouched.
    rc, out, err = cluster_sh(state_dir, "up")
    assert rc == 1 and out == "", out
    assert f"a cluster is already up in {state_dir}" in err, err
    assert all(v[0] == "running" for v in status(state_dir).values())

    # kill 2: node 2 is gone, the others serve; a client whose list starts at node 2 fails over.
    node2_pid = int((state_dir / "node2" / "pid").read_text())
    rc, _, err = cluster_sh(state_dir, "kill", 2)
    assert rc == 0, err
    assert not alive(node2_pid)
    parts = status(state_dir)
    assert parts["node2"] == ["stopped", servers[1]] and parts["node1"][0] == parts["node3"][0] == "running", parts
    rc, out, err = run(home, "--server", f"{servers[1]},{servers[2]}", "login", user, "--password-stdin",
                       stdin=PASSWORD + "\n")
    assert rc == 0, (out, err)

    # start 2: the same address again, with the same flags (it is a node of the same cluster).
    rc, _, err = cluster_sh(state_dir, "start", 2)
    assert rc == 0, err
    assert status(state_dir)["node2"][:2] == ["running", servers[1]]
    rc, out, err = run(home, "--server", servers[1], "login", user, "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (0, ""), (out, err)

    # A bad part is a clear error.
    rc, _, err = cluster_sh(state_dir, "kill", 7)
    assert rc == 1 and "no node 7 (nodes: 1..3)" in err, err

    # down: every process it started is gone, and so is all its state.
    pids, pg_dir = pids_of(state_dir, 3)
    assert all(alive(p) for p in pids)
    rc, _, err = cluster_sh(state_dir, "down")
    assert rc == 0, err
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if alive(p)], "processes left after down"
    assert not state_dir.exists() and not pg_dir.exists()
    rc, _, err = cluster_sh(state_dir, "status")
    assert rc == 1 and "no cluster in" in err, err


def test_up_without_a_build_says_how_to_build(state_dir, tmp_path):
    rc, out, err = cluster_sh(state_dir, "up", env_extra={"OCCHAT_BUILD_DIR": str(tmp_path / "no-build")})
    assert rc == 1 and out == ""
    assert "occhat-server not found: build first (scripts/test.sh" in err, err
    assert not state_dir.exists()


def test_node_flags_reach_every_node_and_a_bad_flag_stops_everything(state_dir):
    # A flag the server refuses: up fails naming the node's error and leaves nothing running.
    rc, out, err = cluster_sh(state_dir, "up", "1", "--no-fsync", "--", "--no-such-flag")
    assert rc == 1 and out == "", out
    assert "node1 did not start" in err and "no-such-flag" in err, err
    assert not state_dir.exists()
    leftovers = subprocess.run(["pgrep", "-f", "--", f"--files-dir {state_dir}/files"], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout


def test_a_node_waits_for_nats_bounded_and_names_it_when_it_gives_up(state_dir):
    rc, out, err = cluster_sh(state_dir, "up", "1", "--no-fsync", "--startup-wait", "3")
    assert rc == 0, err
    bus = re.search(r"nats://127\.0\.0\.1:\d+", (state_dir / "cluster.env").read_text()).group(0)
    assert cluster_sh(state_dir, "kill", "nats")[0] == 0
    assert cluster_sh(state_dir, "kill", "1")[0] == 0

    # NATS stays down: the node gives up after --startup-wait seconds with one clear line.
    started = time.monotonic()
    rc, _, err = cluster_sh(state_dir, "start", "1")
    waited = time.monotonic() - started
    assert rc == 1, err
    assert f"occhat-server: cannot connect to NATS at {bus}" in err and "(waited 3 s)" in err, err
    assert 2.5 < waited < 20, waited
    assert status(state_dir)["node1"][0] == "stopped"

    # NATS comes up while the node waits: the node starts instead of failing.
    node = subprocess.Popen(["bash", str(SCRIPT), "--dir", str(state_dir), "start", "1"],
                            env={**os.environ, "OCCHAT_BUILD_DIR": str(BUILD_DIR)}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    assert node.poll() is None, node.communicate()
    assert cluster_sh(state_dir, "start", "nats")[0] == 0
    _, err = node.communicate(timeout=30)
    assert node.returncode == 0, err
    assert [v[0] for v in status(state_dir).values()] == ["running"] * 3
