"""bench/report.py on repeated, interleaved runs (issue 15): each figure is the median of the
rounds with the min–max beside it, each ratio is taken per round and summarised the same way, the
load and the other processes' CPU are reported, and a peer that could not run says why.

The input is hand-written JSON lines in the shape scripts/bench.sh writes; no server runs.
"""

import json
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[2]


def line(bench, case, params, metrics):
    return json.dumps({"bench": bench, "case": case, "params": params, "metrics": metrics})


def rounds(tmp_path, extra=()):
    lines = [line("meta", "peers", {"runs": 3, "ejabberd": "23.01", "relay_seconds": 5}, {})]
    # Round by round: occhat (process) 10k, 20k, 30k; ejabberd 5k, 5k, 10k -> ratios 2, 4, 3.
    for r, ours, peer in ((1, 10000, 5000), (2, 20000, 5000), (3, 30000, 10000)):
        lines.append(line("relay", "inflight1", {"pairs": 1, "round": r, "durability": "process"},
                          {"msgs_per_s": ours, "server_cpu_us_per_msg": 10.0 * r, "load1_at_start": 0.5 * r,
                           "other_cpu_cores": 0.1}))
        lines.append(line("relay", "inflight1", {"pairs": 1, "round": r, "durability": "disk"},
                          {"msgs_per_s": ours / 10}))
        lines.append(line("xmpp", "inflight1", {"server": "ejabberd", "pairs": 1, "round": r},
                          {"msgs_per_s": peer, "server_cpu_us_per_msg": 40.0, "load1_at_start": 0.5,
                           "other_cpu_cores": 0.9 if r == 2 else 0.1}))
    lines.extend(extra)
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def report(path):
    proc = subprocess.run(["/usr/bin/python3", str(REPO / "bench" / "report.py"), str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def row(out, figure):
    found = [l for l in out.splitlines() if l.startswith(figure)]
    assert found, f"no row {figure!r} in:\n{out}"
    return [c.strip() for c in found[0].split("|")]


def test_median_and_range_of_figures_and_of_per_round_ratios(tmp_path):
    out = report(rounds(tmp_path))
    cells = row(out, "relay, 1 in flight, 1 pair")
    assert cells[1] == "20,000 (10,000–30,000)"   # occhat process
    assert cells[2] == "2,000 (1,000–3,000)"      # occhat disk, beside it
    assert cells[3] == "5,000 (5,000–10,000)"     # ejabberd
    assert cells[4] == "3.00× (2.00×–4.00×)"      # ratios 2, 4, 3 per round, not 20,000 / 5,000
    # CPU per message: lower is better, so the ratio is peer/ours: 40/10, 40/20, 40/30.
    cpu = row(out, "server CPU per relayed message, 1 in flight, 1 pair")
    assert cpu[1] == "20.0 µs (10.0 µs–30.0 µs)"
    assert cpu[4] == "2.00× (1.33×–4.00×)"


def test_load_and_busy_machine_are_reported(tmp_path):
    out = report(rounds(tmp_path))
    assert "Load average at the start of the runs: 0.50–1.50" in out
    assert "1 of 6 runs had more than 0.25 cores of other work" in out
    assert "WARNING" in out


def test_a_peer_that_could_not_run_says_why(tmp_path):
    skipped = json.dumps({"bench": "xmpp", "case": "skipped", "params": {"server": "prosody"}, "metrics": {},
                          "reason": "it did not start: port in use"})
    out = report(rounds(tmp_path, [skipped]))
    assert "prosody was not measured: it did not start: port in use" in out
    assert row(out, "relay, 1 in flight, 1 pair")[5] == "not run"


def cluster_lines():
    """Two rounds of the cluster rows (issue 17), as scripts/bench.sh tags them."""
    lines = [line("meta", "cluster", {"postgresql": "15.18", "nats": "2.9.10", "bus": True, "rate": 500}, {})]
    for r in (1, 2):
        lines.append(line("cluster", "connections", {"nodes": 3, "clients_per_node": 7000, "round": r,
                                                     "cluster": "hold"}, {"established": 21000}))
        for node in (1, 2, 3):
            lines.append(line("connections", "idle", {"clients": 7000, "round": r, "cluster": "hold", "node": node},
                              {"held": 7000 - (r - 1) * node, "rss_per_conn_bytes": 7168 * node,
                               "load1_at_start": 2.0}))
        # One node 1,000 and 2,000 msg/s; across two nodes 500 and 1,500: ratios 0.5 and 0.75.
        for role, rate in (("single", 1000 * r), ("cross", 1000 * r - 500)):
            lines.append(line("relay", "inflight1", {"pairs": 1, "round": r, "durability": "disk", "cluster": role},
                              {"msgs_per_s": rate}))
        lines.append(line("cluster", "node_loss", {"watched": 20, "nodes": 2, "round": r, "cluster": "kill"},
                          {"first_offline_s": 7.0 + r, "all_offline_s": 8.0 + r}))
    return lines


def test_cluster_rows_sum_the_nodes_and_ratio_per_round(tmp_path):
    out = report(rounds(tmp_path, cluster_lines()))
    held = row(out, "connections held across 3 nodes")
    assert held[2] == "20,997 (20,994–21,000)"   # the sum over the nodes of each round, then the median
    assert held[5] == "yes"                       # > 20,000
    assert row(out, "server RSS per connection, node 2 of 3")[2] == "14.00 KiB (14.00 KiB–14.00 KiB)"
    relay = row(out, "relay, 1 in flight, 1 pair, msg/s (cluster")
    assert relay[1] == "1,500 (1,000–2,000)" and relay[2] == "1,000 (500–1,500)"
    assert relay[3] == "0.62× (0.50×–0.75×)"     # cross / single, per round
    kill = row(out, "node SIGKILLed: 20 users offline")
    assert kill[2] == "9.500 s (9.000 s–10.0 s)" and kill[5] == "yes"  # within 15 s


def test_cluster_runs_stay_out_of_the_other_tables(tmp_path):
    out = report(rounds(tmp_path, cluster_lines()))
    # The main relay row is still occhat's own SQLite runs only, as without the cluster rows.
    assert row(out, "relay, 1 in flight, 1 pair")[2] == "2,000 (1,000–3,000)"
    assert "connections held (idle, logged in)" in out and row(out, "connections held (idle, logged in)")[1] == "n/a"


def test_a_cluster_only_run_shows_just_the_cluster_and_what_was_not_measured(tmp_path):
    skipped = line("cluster", "skipped", {"cluster": "kill"}, {})
    rec = json.loads(skipped)
    rec["reason"] = "occhat-server has no --bus"
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join([line("meta", "run", {"quick": False}, {}), *cluster_lines()[:6], json.dumps(rec)])
                    + "\n")
    out = report(path)
    assert "ejabberd" not in out          # no chat-server table
    assert "Not measured (kill): occhat-server has no --bus." in out
    assert row(out, "node SIGKILLed")[2] == "n/a"


def stage_metrics(scale):
    names = ("dispatch", "queue", "job", "commit", "resume", "push", "write", "total")
    return {n: {"count": 25000, "mean_us": 10.0 * scale, "p50_us": 5.0 * scale * (i + 1),
                "p99_us": 100.0 * scale * (i + 1), "p999_us": 200.0 * scale} for i, n in enumerate(names)}


def test_where_a_send_goes_shows_each_stage_per_durability_beside_the_client(tmp_path):
    extra = []
    for r, scale in ((1, 1.0), (2, 3.0), (3, 2.0)):
        extra.append(line("relay", "rate", {"pairs": 50, "rate": 5000, "round": r, "durability": "process"},
                          {"p50_us": 300.0 * scale, "p99_us": 3000.0 * scale, "server_stages": stage_metrics(scale)}))
    # An older line without the stages (disk): left out of this table, without failing.
    extra.append(line("relay", "rate", {"pairs": 50, "rate": 5000, "round": 1, "durability": "disk"},
                      {"p50_us": 500.0, "p99_us": 2000.0}))
    out = report(rounds(tmp_path, extra))
    queue = row(out, "queue: handler")
    assert queue[1] == "20 µs (10 µs–30 µs)"          # p50 process: 10, 30, 20 over the rounds
    assert queue[2] == "400 µs (200 µs–600 µs)"
    assert queue[3] == "n/a"                          # disk: no round has the stages
    total = row(out, "total: server")
    assert total[2] == "1.60 ms (800 µs–2.40 ms)"
    client = row(out, "client (occhat-bench)")
    assert client[1] == "600 µs (300 µs–900 µs)"
    assert client[3] == "n/a"                         # the client row is over the same runs as the stages


def test_without_stage_figures_there_is_no_stage_table(tmp_path):
    out = report(rounds(tmp_path))
    assert "Where a send's time goes" not in out


def sampled(tmp_path, *lines_out):
    script = tmp_path / "client.py"
    script.write_text("import json\n" + "".join(f"print(json.dumps({l!r}))\n" for l in lines_out))
    import os
    proc = subprocess.run(["/usr/bin/python3", str(REPO / "bench" / "proc_sample.py"), "--server-pid",
                           str(os.getpid()), "--", "/usr/bin/python3", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(l) for l in proc.stdout.splitlines()]


def test_proc_sample_keeps_the_clients_window_cpu_figure(tmp_path):
    # occhat-bench relay measures its server over the measured window itself: that figure stays,
    # and the whole-life one goes beside it; a line without one gets proc_sample's.
    own, other = sampled(tmp_path,
                         {"bench": "relay", "case": "rate", "params": {},
                          "metrics": {"received": 100, "server_cpu_s": 0.5, "server_cpu_us_per_msg": 7.5}},
                         {"bench": "mqtt", "case": "rate", "params": {}, "metrics": {"received": 100}})
    assert own["metrics"]["server_cpu_us_per_msg"] == 7.5
    assert own["metrics"]["server_cpu_s"] == 0.5
    assert "server_cpu_life_s" in own["metrics"]
    assert "server_cpu_us_per_msg" in other["metrics"]
    assert "server_cpu_life_s" not in other["metrics"]
