"""--metrics-listen: Prometheus counters that move with traffic, /healthz, and nothing else on
that port."""

import re
import urllib.error
import urllib.request

import pytest

from conftest import befriend, eventually, make_user

METRICS_LINE = re.compile(r"metrics on (\S+)")


def metrics_address(srv):
    match = eventually(lambda: METRICS_LINE.search(srv.stderr()), lambda m: m is not None)
    assert match, srv.stderr()
    return match.group(1)


def get(address, path):
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(address):
    """{'name{labels}': value} of every sample."""
    status, text = get(address, "/metrics")
    assert status == 200, text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_counters_move_with_traffic(server_factory, watch_factory, tmp_path):
    srv = server_factory(extra_args=("--metrics-listen", "127.0.0.1:0", "--find-burst", "2"))
    address = metrics_address(srv)
    assert get(address, "/healthz") == (200, "OK\n")
    before = scrape(address)
    assert before["occhat_messages_stored_total"] == 0

    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    watch = watch_factory(b)
    eventually(lambda: scrape(address)["occhat_online_users"], lambda v: v == 1)
    for i in range(3):
        a.ok("send", b.id, f"hello {i}")
    watch.wait_for(lambda e: e.get("type") == "message" and e["text"] == "hello 2")
    src = tmp_path / "notes.bin"
    src.write_bytes(b"x" * 5000)
    [sent] = a.jsonl("upload", b.id, src)
    b.ok("download", sent["id"], "-o", tmp_path / "got.bin")
    for _ in range(4):  # the third lookup is over --find-burst 2
        a.run("find", b.id)

    after = scrape(address)
    assert after["occhat_messages_stored_total"] == 3
    assert after["occhat_deliveries_pushed_total"] >= 3
    assert after['occhat_requests_total{type="send_message_request",code="ok"}'] == 3
    assert after['occhat_requests_total{type="login_request",code="ok"}'] >= 2
    assert after['occhat_requests_total{type="find_user_request",code="rate_limited"}'] >= 1
    assert after["occhat_rate_limited_total"] >= 1
    assert after["occhat_upload_bytes_total"] == 5000
    assert after["occhat_download_bytes_total"] == 5000
    assert after['occhat_connections{state="authenticated"}'] >= 1  # bob's watch
    assert after["occhat_store_commit_seconds_count"] > before["occhat_store_commit_seconds_count"]
    assert after['occhat_store_commit_seconds_bucket{le="+Inf"}'] == after["occhat_store_commit_seconds_count"]
    # Where a request's time goes, stage by stage: every store call (the 3 sends among them)
    # passes each store stage, and every frame written (answers and pushes) is timed.
    for stage in ("store_queue", "store_job", "store_commit_wait", "store_resume"):
        assert after[f"occhat_{stage}_seconds_count"] - before[f"occhat_{stage}_seconds_count"] >= 3, stage
        assert after[f'occhat_{stage}_seconds_bucket{{le="+Inf"}}'] == after[f"occhat_{stage}_seconds_count"]
    assert after["occhat_socket_write_seconds_count"] >= 6  # 3 answers to alice, 3 pushes to bob
    assert after['occhat_socket_write_seconds_bucket{le="+Inf"}'] == after["occhat_socket_write_seconds_count"]


def test_inbox_backlog_counts_what_is_not_acknowledged(server_factory, tmp_path):
    srv = server_factory(extra_args=("--metrics-listen", "127.0.0.1:0"))
    address = metrics_address(srv)
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    b.ok("inbox")  # the friendship notices, acknowledged
    for i in range(4):
        a.ok("send", b.id, f"offline {i}")
    assert scrape(address)["occhat_inbox_backlog"] >= 4
    b.ok("inbox")
    a.ok("inbox")
    assert scrape(address)["occhat_inbox_backlog"] == 0


def test_the_port_serves_nothing_else(server_factory):
    srv = server_factory(extra_args=("--metrics-listen", "127.0.0.1:0"))
    address = metrics_address(srv)
    for path in ("/", "/metrics/x", "/admin", "/../etc/passwd"):
        assert get(address, path)[0] == 404, path


@pytest.mark.parametrize("value", ["nonsense", "127.0.0.1:99999"])
def test_a_bad_address_is_a_usage_error(server_factory, tmp_path, value):
    import subprocess
    from conftest import server_binary
    proc = subprocess.run([str(server_binary()), "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
                           "--metrics-listen", value], capture_output=True, text=True, timeout=15,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "--metrics-listen must be HOST:PORT" in proc.stderr
