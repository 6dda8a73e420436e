"""occhat-server --bus (issue 17): three real nodes on one PostgreSQL database and one real
nats-server, users on different nodes, driven by the real CLI. Each client talks to one node
(failing over between nodes is the client's business, tested elsewhere).

Needs OCCHAT_TEST_PG_URI (a cluster whose role may create databases) and nats-server
(scripts/setup.sh installs it)."""

import datetime
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import (BUILD_DIR, PASSWORD, REPO, User, befriend, clean_env, drain_inbox, free_port, kill_when, make_user, parse_json,
                      server_binary, sha256_of, spawn, write_random)

NODES = 3
MIB = 1 << 20
# What the README promises for a node that dies: its users are offline for their friends
# elsewhere within this long.
OFFLINE_WITHIN = 15


class Nats:
    """A nats-server of this test's own on a free port, which the test may stop and start again."""

    def __init__(self, log_path):
        self.binary = shutil.which("nats-server")
        assert self.binary, "nats-server is not installed (scripts/setup.sh installs it)"
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, self.log_path.read_text()
                time.sleep(0.05)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def nats(tmp_path):
    server = Nats(tmp_path / "nats.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats):
    return nats.url


class Cluster:
    def __init__(self, server_factory, store, bus, files_dir, extra=()):
        self.factory, self.store, self.bus, self.files_dir, self.extra = server_factory, store, bus, files_dir, extra
        self.nodes = [self.start_node(i) for i in range(NODES)]

    def node_args(self, index):
        # Every node reads and writes the same files directory (one machine here).
        return ("--bus", self.bus, "--node-id", f"node{index + 1}", "--files-dir", str(self.files_dir),
                "--metrics-listen", "127.0.0.1:0",
                "--register-burst-per-address", "50", "--register-rate-per-address", "1000", *self.extra)

    def start_node(self, index):
        return self.factory(store=self.store, extra_args=self.node_args(index))


@pytest.fixture
def cluster(postgresql_database, nats_url, server_factory, tmp_path):
    return Cluster(server_factory, postgresql_database, nats_url, tmp_path / "shared-files")


def on(node, user):
    """`user` (their --home, hence their token) as a client of another node."""
    return User(node, user.name, user.home, user.id)


def is_presence(user, online):
    return lambda e: e.get("type") == "presence" and e.get("user") == user.id and e.get("online") is online


def is_message(text):
    return lambda e: e.get("type") == "message" and e.get("text") == text


def test_messages_rooms_friend_requests_files_and_presence_cross_nodes(cluster, watch_factory, tmp_path):
    n1, n2, n3 = cluster.nodes
    a, b, c = make_user(n1, tmp_path, "alice"), make_user(n2, tmp_path, "bob"), make_user(n3, tmp_path, "carol")
    wb = watch_factory(b)  # bob watches on node 2
    # A friend request made on node 1 reaches bob's watch on node 2; he accepts there.
    assert a.ok("add", b.id) == f"friend request sent to bob ({b.id})\n"
    request = wb.wait_for(lambda e: e.get("type") == "friend_request", what="alice's friend request")
    assert request["from"] == a.id, request
    assert b.ok("add", a.id) == f"you and alice ({a.id}) are now friends\n"
    befriend(c, a)  # alice invites carol to her room below
    drain_inbox(a)

    # Alice comes online on node 1: bob sees it on node 2.
    wa = watch_factory(a)
    wb.wait_for(is_presence(a, True), what="alice online (from node 1)")
    assert b.jsonl("friends")[0]["online"] is True

    # 1:1 both ways. The delay printed: from the message's time (stamped by node 1 as it stored
    # it) to bob's watch line on node 2 being read here; the watch reads as lines arrive.
    delays = []
    for k in range(10):
        a.ok("send", b.id, f"hello {k} from node 1")
        event = wb.wait_for(is_message(f"hello {k} from node 1"), what="alice's message")
        stamped = datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
        delays.append(time.time() - stamped)
    delays.sort()
    print(f"\n1:1 node 1 -> node 2, stored to watched (10 messages): median {delays[5] * 1000:.1f} ms, "
          f"max {delays[-1] * 1000:.1f} ms (includes the sending CLI's exit and this test's polling)")
    b.ok("send", a.id, "hello from node 2")
    wa.wait_for(is_message("hello from node 2"), what="bob's message")

    # A room with a member on each node.
    out = a.ok("room", "create", "everywhere")
    room = int(out)
    a.ok("room", "invite", room, b.id, c.id)
    b.ok("room", "join", room)
    c.ok("room", "join", room)
    wc = watch_factory(c)  # carol watches on node 3
    c.ok("send", "--room", room, "room message from node 3")
    for w in (wa, wb):
        event = w.wait_for(is_message("room message from node 3"), what="carol's room message")
        assert event["room"]["id"] == room, event
    b.ok("send", "--room", room, "room message from node 2")
    wc.wait_for(is_message("room message from node 2"), what="bob's room message")

    # A file uploaded on node 1 is announced to bob on node 2 and downloaded there.
    src = tmp_path / "cross.bin"
    digest = write_random(src, 3 * MIB)
    rc, out, err = a.run("upload", b.id, src, json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    uploaded = parse_json(out)
    event = wb.wait_for(lambda e: e.get("type") == "file", what="the file event")
    assert event["id"] == uploaded["id"] and event["sha256"] == digest, event
    rc, out, err = b.run("download", uploaded["id"], "-o", tmp_path / "bob-got.bin", json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    assert sha256_of(tmp_path / "bob-got.bin") == digest

    # Alice goes away on node 1: bob sees her offline on node 2.
    wa.interrupt()
    wb.wait_for(is_presence(a, False), what="alice offline")


def test_an_upload_begun_on_one_node_resumes_on_another(cluster, tmp_path):
    n1, n2, n3 = cluster.nodes
    a, b = make_user(n1, tmp_path, "alice"), make_user(n2, tmp_path, "bob")
    befriend(a, b)
    src = tmp_path / "big.bin"
    size = 40 * MIB
    digest = write_random(src, size)
    uploads = cluster.files_dir / "uploads"

    def largest_part():
        return max((p.stat().st_size for p in uploads.glob("*.part")), default=0)

    proc = spawn(a, "upload", b.id, src, json=True)  # to node 1
    kill_when(proc, largest_part, size // 2, "the upload")
    rc, out, err = on(n2, a).run("upload", b.id, src, json=True, timeout=120)  # resumed on node 2
    assert (rc, err) == (0, ""), (rc, out, err)
    result = parse_json(out)
    assert result["resumed_from"] >= size // 4, result
    rc, out, err = on(n3, b).run("download", result["id"], "-o", tmp_path / "got.bin", json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    assert sha256_of(tmp_path / "got.bin") == digest


def test_a_logout_on_one_node_ends_the_same_token_on_another(cluster, watch_factory, tmp_path):
    n1, n2, _ = cluster.nodes
    a, b = make_user(n1, tmp_path, "alice"), make_user(n2, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(a)
    w = watch_factory(on(n2, a))  # alice's token, watching on node 2
    b.ok("send", a.id, "are you there?")
    w.wait_for(is_message("are you there?"), what="bob's message")  # connected and subscribed
    assert a.ok("logout") == "logged out\n"  # on node 1
    try:
        rc = w.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"alice's watch on node 2 still runs 10 s after her logout on node 1: {w.stderr()!r}")
    assert rc == 3, (rc, w.stderr())


def cluster_nodes_seen_by(node):
    """The node's occhat_cluster_nodes gauge (--metrics-listen)."""
    address = re.search(r"metrics on (\S+)", node.stderr()).group(1)
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        text = response.read().decode()
    return int(re.search(r"^occhat_cluster_nodes (\d+)$", text, re.M).group(1))


def wait_online(watch, user_ids):
    """Reads `watch` until every one of `user_ids` was last seen online (a snapshot counts)."""
    def online_now():
        state = {}
        for e in watch.seen:
            if e.get("type") == "presence":
                state[e["user"]] = e["online"]
        return {uid for uid, online in state.items() if online}

    if not user_ids <= online_now():
        watch.wait_for(lambda _: user_ids <= online_now(), what=f"{sorted(user_ids)} online")


def seconds_until(watch, predicate, what, timeout):
    started = time.monotonic()
    watch.wait_for(predicate, timeout=timeout, what=what)
    return time.monotonic() - started


def test_a_killed_nodes_users_go_offline_and_a_restarted_node_does_not_bring_them_back(cluster, watch_factory,
                                                                                         tmp_path):
    n1, n2, n3 = cluster.nodes
    a, b, c = make_user(n1, tmp_path, "alice"), make_user(n2, tmp_path, "bob"), make_user(n3, tmp_path, "carol")
    befriend(a, b)
    befriend(c, b)
    wb = watch_factory(b)
    wa = watch_factory(a)
    wc = watch_factory(c)
    wait_online(wb, {a.id, c.id})

    assert cluster_nodes_seen_by(n2) == NODES

    # SIGKILL node 1: nothing tells anyone; the heartbeats stop.
    n1.kill()
    wa.kill()  # alice's client dies with it (it would otherwise reconnect to a restarted node 1)
    seconds = seconds_until(wb, is_presence(a, False), "alice offline after node 1 was killed", OFFLINE_WITHIN + 5)
    print(f"\nnode 1 SIGKILLed: alice offline for bob (node 2) after {seconds:.2f} s")
    assert seconds <= OFFLINE_WITHIN, seconds
    assert {f["id"]: f["online"] for f in b.jsonl("friends")} == {a.id: False, c.id: True}
    assert cluster_nodes_seen_by(n2) == NODES - 1

    # Node 3 is killed and restarted at once (same --node-id, a new process): the new
    # incarnation replaces the dead one, so carol goes offline without waiting for the silence.
    n3.kill()
    wc.kill()
    killed = time.monotonic()
    n3.start()
    seconds = seconds_until(wb, is_presence(c, False), "carol offline after node 3 restarted", OFFLINE_WITHIN + 5)
    since_kill = time.monotonic() - killed
    print(f"node 3 SIGKILLed and restarted: carol offline for bob after {since_kill:.2f} s")
    assert since_kill < 8, since_kill  # before node 3's silence alone would have dropped her
    time.sleep(3)  # more heartbeats: nobody brings alice or carol back
    assert {f["id"]: f["online"] for f in b.jsonl("friends")} == {a.id: False, c.id: False}
    assert not [e for e in wb.collect(quiet=0.5) if e.get("type") == "presence" and e.get("online")]


def test_concurrent_registrations_on_different_nodes_get_unique_ids(cluster, tmp_path):
    per_node = 6
    ids, errors = [], []
    lock = threading.Lock()

    def register(node, k):
        try:
            uid = node.register(tmp_path / f"home-{node.port}-{k}", f"u{node.port}-{k}@example.org", f"u{k}")
            with lock:
                ids.append(uid)
        except BaseException as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=register, args=(node, k)) for node in cluster.nodes for k in range(per_node)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(ids) == per_node * NODES and len(set(ids)) == len(ids), ids


def run_server(tmp_path, *args, timeout=30):
    return subprocess.run([str(server_binary()), "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                          env=clean_env(tmp_path))


def test_bus_with_a_sqlite_store_is_refused(tmp_path):
    proc = run_server(tmp_path, "--bus", "nats://127.0.0.1:4222")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert proc.stderr == "occhat-server: --bus needs a PostgreSQL store (--store postgresql://...)\n"


def test_nats_down_at_start_up_waits_then_exits_1_with_one_line(postgresql_database, tmp_path):
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    proc = run_server(tmp_path, "--store", postgresql_database, "--bus", url, "--startup-wait", "2")
    took = time.monotonic() - started
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "listening on" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if not line[:4].isdigit()]  # log lines start with a time
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"occhat-server: cannot connect to NATS at {url}: "), lines[0]
    assert lines[0].endswith("(waited 2 s)"), lines[0]
    assert 2 <= took < 15, took


def test_nodes_share_one_port_with_reuse_port_set_in_their_config_files(postgresql_database, nats_url,
                                                                        server_factory, tmp_path):
    port = free_port()
    nodes = []
    for index in (1, 2):
        conf = tmp_path / f"node{index}.conf"
        conf.write_text(f"store = {postgresql_database}\nbus = {nats_url}\nnode-id = shared{index}\n"
                        "reuse-port = true\nstartup-wait = 5\n")
        node = server_factory(extra_args=("--config", conf))
        node.stop()
        nodes.append(node)
    # Both on the same port at once: without SO_REUSEPORT the second bind fails.
    for node in nodes:
        node.start(port)
    assert [node.port for node in nodes] == [port, port]
    user_id = nodes[0].register(tmp_path / "home-x", "x@example.org", "x")
    assert user_id > 0
    assert "cluster node shared2 on the bus" in nodes[1].stderr()


def test_nats_restarted_while_users_chat_loses_and_repeats_nothing(cluster, nats, watch_factory, tmp_path):
    n1, n2, _ = cluster.nodes
    a, b = make_user(n1, tmp_path, "alice"), make_user(n2, tmp_path, "bob")
    befriend(a, b)
    drain_inbox(b)
    wb = watch_factory(b)
    a.ok("send", b.id, "before")
    wb.wait_for(is_message("before"), what="the message before the outage")
    nats.stop()
    # Stored on node 1 while the bus is gone: bob's node hears nothing of them now.
    for k in range(3):
        a.ok("send", b.id, f"during {k}")
    nats.start()  # same port: both nodes reconnect by themselves and catch up
    wb.wait_for(is_message("during 2"), timeout=30, what="the last message sent during the outage")
    a.ok("send", b.id, "after")
    wb.wait_for(is_message("after"), what="the message after the outage")
    wb.collect(quiet=1.0)
    texts = [e["text"] for e in wb.seen if e.get("type") == "message"]
    assert texts == ["before", "during 0", "during 1", "during 2", "after"], texts


def test_a_node_stopped_cleanly_takes_its_users_offline_at_once(cluster, watch_factory, tmp_path):
    n1, n2, _ = cluster.nodes
    a, b = make_user(n1, tmp_path, "alice"), make_user(n2, tmp_path, "bob")
    befriend(a, b)
    wb = watch_factory(b)
    wa = watch_factory(a)
    wait_online(wb, {a.id})
    assert n1.stop() == 0  # SIGTERM: the node says its users are gone before it exits
    wa.kill()
    seconds = seconds_until(wb, is_presence(a, False), "alice offline after node 1 stopped", OFFLINE_WITHIN)
    print(f"\nnode 1 stopped (SIGTERM): alice offline for bob after {seconds:.2f} s")
    assert seconds < 2, seconds  # no waiting for the 8 s of silence


def test_a_node_started_before_nats_waits_for_it(postgresql_database, server_factory, tmp_path):
    nats = Nats(tmp_path / "late-nats.log")  # not running yet
    later = threading.Timer(2.0, nats.start)
    later.start()
    try:
        started = time.monotonic()
        node = server_factory(store=postgresql_database, extra_args=("--bus", nats.url, "--startup-wait", "20"))
        took = time.monotonic() - started
        later.join()
        print(f"\nnode started {took:.2f} s after it was launched, NATS 2 s after it")
        assert took >= 2, took
        assert make_user(node, tmp_path, "alice").id > 0
        node.stop()
    finally:
        later.cancel()
        nats.stop()


def node_list(nodes, first):
    """The --server list of every node, starting at `first` (a client's preferred node)."""
    ordered = nodes[first:] + nodes[:first]
    return ",".join(node.address for node in ordered)


def start_record_bot(tmp_path, servers, home, out):
    """tests/python/record_bot.py (occhat.Bot: one "SEQ TEXT" line per handled message) on the
    build tree's Python module, as a bot author would run it."""
    env = clean_env(tmp_path)
    env["PYTHONPATH"] = str(BUILD_DIR / "python")
    log = open(tmp_path / "bot.log", "ab")
    proc = subprocess.Popen(["/usr/bin/python3", str(REPO / "tests" / "python" / "record_bot.py"), servers,
                             str(home), str(out)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    return proc


def test_a_killed_nodes_clients_fail_over_and_get_what_was_sent_meanwhile_exactly_once(cluster, watch_factory,
                                                                                        tmp_path):
    n1, n2, _ = cluster.nodes
    a, b = make_user(n2, tmp_path, "alice"), make_user(n1, tmp_path, "bob")
    bot = make_user(n1, tmp_path, "bot")
    befriend(a, b)
    befriend(a, bot)
    drain_inbox(b)
    drain_inbox(bot)
    # bob's watch and the bot both prefer node 1 and know the whole cluster.
    wb = watch_factory(b, server=node_list(cluster.nodes, 0))
    handled_path = tmp_path / "handled.txt"
    proc = start_record_bot(tmp_path, node_list(cluster.nodes, 0), bot.home, handled_path)

    def handled():
        text = handled_path.read_text() if handled_path.exists() else ""
        return [line.split(" ", 1)[1] for line in text.splitlines()]

    def bot_log():
        path = tmp_path / "bot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    try:
        a.ok("send", b.id, "before")
        a.ok("send", bot.id, "before")
        wb.wait_for(is_message("before"), what="'before' on node 1")
        deadline = time.monotonic() + 20
        while handled() != ["before"]:
            assert time.monotonic() < deadline and proc.poll() is None, (handled(), bot_log())
            time.sleep(0.05)

        n1.kill()  # SIGKILL: bob's watch and the bot lose their node
        meanwhile = [f"meanwhile {k}" for k in range(5)]
        for text in meanwhile:  # sent on node 2 while they fail over
            a.ok("send", b.id, text)
            a.ok("send", bot.id, text)
        for text in meanwhile:
            wb.wait_for(is_message(text), timeout=30, what=f"{text!r} after failing over")
        a.ok("send", b.id, "after")
        a.ok("send", bot.id, "after")
        wb.wait_for(is_message("after"), what="'after'")
        deadline = time.monotonic() + 30
        while len(handled()) < 7:
            assert time.monotonic() < deadline and proc.poll() is None, (handled(), bot_log())
            time.sleep(0.05)
        time.sleep(0.5)  # anything repeated would arrive by now
        texts = [e["text"] for e in wb.seen + wb.collect(quiet=0.5) if e.get("type") == "message"]
        assert texts == ["before", *meanwhile, "after"], texts
        assert handled() == ["before", *meanwhile, "after"], bot_log()
        assert "reconnected to" in wb.stderr(), wb.stderr()
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def strict_cluster(postgresql_database, nats_url, server_factory, tmp_path):
    """The cluster with low limits: 3 failed logins per id and address; 3 messages at once, then
    one every 100 s (longer than `occhat send` paces itself for: it fails with exit 6 at once)."""
    return Cluster(server_factory, postgresql_database, nats_url, tmp_path / "shared-files",
                   extra=("--login-max-failures", "3", "--login-lockout-seconds", "30",
                          "--message-rate", "0.01", "--message-burst", "3"))


def test_guessing_over_several_nodes_gains_no_attempts_and_the_message_rate_is_the_clusters(strict_cluster,
                                                                                           tmp_path):
    nodes = strict_cluster.nodes
    a, b = make_user(nodes[0], tmp_path, "alice"), make_user(nodes[1], tmp_path, "bob")
    befriend(a, b)
    # Three wrong passwords, one per node: the fourth attempt is refused on every node, even with
    # the right password (one node alone would allow three per node: nine).
    guesser = tmp_path / "home-guesser"
    for node in nodes:
        rc, _, err = node.run(guesser, "login", str(b.id), "--password-stdin", stdin="not the password\n")
        assert rc == 3, err
    time.sleep(0.3)  # the last failure's event crosses the bus (milliseconds)
    for node in nodes:
        rc, out, err = node.run(guesser, "login", str(b.id), "--password-stdin", stdin=PASSWORD + "\n")
        assert rc == 6 and out == "", (node.address, rc, err)
        assert re.fullmatch(r"occhat: too many failed logins; retry in \d+ s\n", err), err

    # The message rate: a burst of 3 for alice, wherever she sends from. Spread over three nodes
    # she gets 3, not 3 per node.
    sent = refused = 0
    for k in range(12):
        node = nodes[k % len(nodes)]
        rc, _, err = on(node, a).run("send", b.id, f"m{k}")
        if rc == 0:
            sent += 1
        else:
            assert rc == 6 and "retry in" in err, (rc, err)
            refused += 1
        time.sleep(0.02)  # each node hears the others' tokens before the next send
    assert (sent, refused) == (3, 9)
