"""occhat-server --store postgresql://... (issue 16) end to end: a real server on a PostgreSQL
database of its own, driven by the real CLI. Skipped when OCCHAT_TEST_PG_URI names no cluster.

The outage tests run a private cluster (scripts/pg-cluster.sh) they can stop and start without
disturbing the shared one."""

import json as jsonlib
import pathlib
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (PASSWORD, PG_CLUSTER_SCRIPT, PG_URI, befriend, clean_env, drain_inbox, make_user, parse_json,
                      server_binary)

pytestmark = pytest.mark.skipif(
    not PG_URI, reason="OCCHAT_TEST_PG_URI is not set: no PostgreSQL cluster (scripts/test.sh starts one)")


@pytest.fixture
def files_dir(tmp_path):
    return tmp_path / "files-elsewhere"


@pytest.fixture
def server(postgresql_database, server_factory, files_dir):
    """This module's server: on a fresh PostgreSQL database, files in a directory of their own."""
    return server_factory(store=postgresql_database, extra_args=("--files-dir", str(files_dir)))


def texts_of(user, peer):
    return [e["text"] for e in user.jsonl("history", peer.id, "--limit", "500")]


def test_register_friends_offline_messages_and_restart(server, tmp_path, postgresql_database):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(a)
    drain_inbox(b)
    assert [f["id"] for f in a.jsonl("friends")] == [b.id]
    # bob is offline (no watch): his messages wait in the store, in order.
    for text in ("one", "two", "three"):
        a.ok("send", b.id, text)
    server.restart(same_port=True)
    assert [e["text"] for e in b.jsonl("inbox")] == ["one", "two", "three"]
    assert b.ok("inbox") == ""  # acknowledged: not again
    assert texts_of(a, b) == ["one", "two", "three"]
    # Nothing of it went into the data dir: the database is PostgreSQL's.
    assert not (server.data_dir / "occhat.db").exists()
    rows = subprocess.run(["psql", postgresql_database, "-qAt", "-c", "SELECT count(*) FROM messages"],
                          capture_output=True, text=True, check=True, timeout=30).stdout
    assert rows.strip() == "3"


def test_room_and_a_resumed_download_with_files_outside_the_data_dir(server, tmp_path, files_dir):
    a, b, c = (make_user(server, tmp_path, n) for n in ("alice", "bob", "carol"))
    befriend(a, b)
    befriend(a, c)
    for u in (a, b, c):
        drain_inbox(u)
    room_id = int(a.ok("room", "create", "team"))
    a.ok("room", "invite", room_id, b.id, c.id)
    b.ok("room", "join", room_id)
    c.ok("room", "join", room_id)
    for u in (a, b, c):
        drain_inbox(u)
    a.ok("send", "--room", room_id, "hello team")
    b.ok("send", "--room", room_id, "hi")
    shown = [e["text"] for e in c.jsonl("inbox") if e["type"] == "message"]
    assert shown == ["hello team", "hi"]

    data = bytes(range(256)) * 4096  # 1 MiB
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    rc, out, err = a.run("upload", b.id, src, json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    info = parse_json(out)
    # The bytes live under --files-dir, never in the database nor the data dir.
    assert (files_dir / "published").is_dir()
    assert sum(p.stat().st_size for p in (files_dir / "published").iterdir()) == len(data)
    assert not (server.data_dir / "files").exists()
    # An interrupted download (its first 300,000 bytes and validator on disk) is resumed.
    out_path = tmp_path / "got.bin"
    pathlib.Path(f"{out_path}.part").write_bytes(data[:300_000])
    pathlib.Path(f"{out_path}.part.meta").write_text(f"{info['id']} {info['sha256']} {info['size']}\n")
    rc, out, err = b.run("download", info["id"], "-o", out_path, json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    got = parse_json(out)
    assert (got["resumed_from"], got["received_bytes"]) == (300_000, len(data) - 300_000), got
    assert out_path.read_bytes() == data


# ---- a private cluster that can be stopped ----------------------------------------------------

@pytest.fixture(scope="module")
def private_cluster():
    """(uri, dir) of a PostgreSQL cluster of this module's own (stopped and removed at the end).
    Under /tmp itself: as root the cluster runs as `postgres`, which cannot enter pytest's
    owner-only temp dirs."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix="occhat-pg-cli-"))
    started = subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), "start", "--no-fsync", str(directory)],
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert started.returncode == 0, started.stderr
    yield started.stdout.strip(), directory
    subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), "stop", str(directory)], capture_output=True, timeout=120)


def cluster(action, directory):
    done = subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), action, str(directory)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (action, done.stderr)


def test_a_database_that_is_down_at_start_up_is_one_line_and_exit_1(private_cluster, tmp_path):
    uri, directory = private_cluster
    cluster("down", directory)
    try:
        # Start-up keeps trying for --startup-wait seconds (the nodes of a cluster and their
        # database start in any order), then gives up.
        started = time.monotonic()
        proc = subprocess.run([str(server_binary()), "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
                               "--store", uri, "--startup-wait", "1"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30, env=clean_env(tmp_path))
        took = time.monotonic() - started
    finally:
        cluster("up", directory)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "listening on" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("occhat-server: cannot connect to PostgreSQL: "), lines[0]
    assert lines[0].endswith(" (waited 1 s)"), lines[0]
    assert 1 <= took < 20, took


def test_postgresql_stopped_and_started_while_a_client_sends(private_cluster, server_factory, watch_factory,
                                                            tmp_path):
    uri, directory = private_cluster
    server = server_factory(store=uri)
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(b)
    watching = watch_factory(b)  # bob online throughout: his messages are pushed live
    acknowledged = []  # texts whose send exited 0: the server said "stored"
    failures = []  # exit codes of the sends that failed (and were retried)
    stop = threading.Event()
    database_back = threading.Event()
    after_outage = []

    def send_until_stopped():
        # A client that retries: the same --client-id until the send is acknowledged, so a send
        # whose answer was lost with the database is stored once, not twice.
        i = 0
        while not stop.is_set():
            text = f"m{i}"
            while not stop.is_set():
                rc, out, err = a.run("send", b.id, text, "--client-id", f"c{i}", json=True)
                if rc == 0:
                    acknowledged.append(text)
                    if database_back.is_set():
                        after_outage.append(text)
                    break
                failures.append((rc, err.strip()))
                time.sleep(0.05)
            i += 1

    sender = threading.Thread(target=send_until_stopped)
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while len(acknowledged) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster("down", directory)
        time.sleep(1.5)
        cluster("up", directory)
        database_back.set()
        # The server recovers by itself: sends are acknowledged again.
        deadline = time.monotonic() + 30
        while len(after_outage) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        sender.join(timeout=60)
    print(f"acknowledged {len(acknowledged)}, failed attempts {len(failures)}, after the outage {len(after_outage)}")
    assert len(after_outage) >= 5, f"no send acknowledged after PostgreSQL came back; failures: {failures[-5:]}"
    assert failures, "no send failed while PostgreSQL was down: the outage was not noticed"
    # While it was down the server answered UNAVAILABLE: the CLI's "cannot reach" exit code 2.
    assert {rc for rc, _ in failures} == {2}, failures[:5]
    history = texts_of(b, a)
    assert len(history) == len(set(history)), "a message was stored twice"
    missing = [t for t in acknowledged if t not in history]
    assert not missing, f"acknowledged but lost: {missing}"
    assert server.proc.poll() is None, "the server exited during the outage"
    # What bob's watch showed: every acknowledged message, none twice.
    watching.wait_for(lambda e: e.get("type") == "message" and e.get("text") == acknowledged[-1],
                      what=f"the last acknowledged message {acknowledged[-1]}")
    watching.collect(quiet=1.0)
    shown = [e["text"] for e in watching.seen if e.get("type") == "message"]
    assert len(shown) == len(set(shown)), "bob's watch showed a message twice"
    assert not [t for t in acknowledged if t not in shown], "an acknowledged message never reached bob's watch"


def test_operator_commands_on_postgresql_reach_the_running_server(server, tmp_path, postgresql_database,
                                                                  watch_factory):
    a, b = make_user(server, tmp_path, "alice"), make_user(server, tmp_path, "bob")

    def admin(*args):
        proc = subprocess.run([str(server_binary()), "--store", postgresql_database, *map(str, args)],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                              env=clean_env(tmp_path))
        return proc.returncode, proc.stdout, proc.stderr

    rc, out, err = admin("user", "list", "--json")
    assert (rc, err) == (0, "")
    assert sorted(jsonlib.loads(line)["id"] for line in out.splitlines()) == sorted([a.id, b.id])
    watch = watch_factory(b)
    rc, out, err = admin("user", "disable", b.id, "--json")
    assert (rc, err) == (0, "")
    # The running server reads the account event from PostgreSQL and closes bob's watch.
    assert watch.proc.wait(timeout=20) == 3
    rc, out, err = b.run("login", b.id, "--password-stdin", stdin=PASSWORD + "\n")
    assert (rc, err) == (3, "occhat: this account is disabled (ask the server's operator)\n")
