#!/usr/bin/python3
"""Renders the benchmark results (JSON lines from scripts/bench.sh) as one table: each figure of
occhat next to its peer's, the ratio, the target of issue 6 and whether it is met.

  bench/report.py RESULTS.jsonl                      the table, plain text, on stdout
  bench/report.py RESULTS.jsonl --readme-table       just the Markdown table (for README.md)
  bench/report.py RESULTS.jsonl --write FILE.md      also writes FILE.md: machine, date, commit,
                                                     command line, the table and every raw figure
A figure that is missing (e.g. occhat-bench was not built) shows as "n/a"; nothing here fails on
missing or partial input. Reads git (rev-parse, status) for the commit line and never changes it.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NA = "n/a"


def load(path):
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    print(f"report: {path}:{n}: not JSON, skipped", file=sys.stderr)
                    continue
                if isinstance(rec, dict) and "bench" in rec:
                    rec.setdefault("params", {})
                    rec.setdefault("metrics", {})
                    records.append(rec)
    except OSError as e:
        print(f"report: cannot read {path}: {e.strerror}", file=sys.stderr)
    return records


def pick(records, bench, case, where=None):
    """The last record of bench/case (a re-run replaces an earlier line) that `where` accepts."""
    found = None
    for r in records:
        if r.get("bench") == bench and r.get("case") == case and (where is None or where(r)):
            found = r
    return found


def metric(rec, name):
    if rec is None:
        return None
    v = rec["metrics"].get(name)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def param(rec, name, default=None):
    if rec is None:
        return default
    return rec["params"].get(name, default)


# ---- formatting ---------------------------------------------------------------------------
def fmt_int(v, unit=""):
    return NA if v is None else f"{v:,.0f}{unit}"


def fmt_rate(v):
    return fmt_int(v, " msg/s")


def fmt_us(v):
    if v is None:
        return NA
    return f"{v / 1000:,.2f} ms" if v >= 1000 else f"{v:,.0f} µs"


def fmt_s(v):
    return NA if v is None else f"{v:,.3f} s" if v < 10 else f"{v:,.1f} s"


def fmt_mbs(v):
    return NA if v is None else f"{v:,.0f} MB/s"


def fmt_bytes(v):
    return NA if v is None else f"{v:,.0f} B"


def fmt_kib(v):
    return NA if v is None else f"{v / 1024:,.2f} KiB"


def fmt_gbit(v):
    return NA if v is None else f"{v:,.1f} Gbit/s"


def fmt_ratio(num, den, how):
    if num is None or den is None or den == 0:
        return NA
    return f"{num / den:.2f}× {how}"


def met_text(ok):
    return NA if ok is None else ("yes" if ok else "NO")


def check(value, test):
    return None if value is None else bool(test(value))


def pairs_text(rec):
    pairs = param(rec, "pairs")
    if not isinstance(pairs, int):
        return ""
    return ", 1 pair" if pairs == 1 else f", {pairs:,} pairs"


# ---- the table ----------------------------------------------------------------------------
HEADER = ["figure", "occhat", "peer", "peer figure", "ratio", "target", "met?"]


def build_rows(records):
    rows = []

    def row(figure, ours, peer_name, peer, ratio, target, met):
        rows.append([figure, ours, peer_name, peer, ratio, target, met])

    # The relay and backlog rows against mosquitto and the XMPP servers: chat_rows().
    rw = pick(records, "relay", "window", lambda r: param(r, "durability", "disk") == "disk")

    # Rooms: no peer runs rooms here; deliveries are held against occhat's own 1:1 window rate.
    fo = pick(records, "room", "fanout")
    members = param(fo, "members")
    of = f"{members:,}-member room" if isinstance(members, int) else "room"
    rate = param(fo, "rate")
    at = f" at {rate:g} msg/s" if isinstance(rate, (int, float)) else ""
    for name, key in (("p50", "p50_us"), ("p99", "p99_us")):
        row(f"{of}: send to last member's receipt, {name}{at}", fmt_us(metric(fo, key)), "—", "—", "—", "—", "—")
    rd = pick(records, "room", "deliveries")
    ours = metric(rd, "deliveries_per_s")
    relay_window = metric(rw, "msgs_per_s")
    ratio = None if ours is None or not relay_window else ours / relay_window
    row(f"{of}: deliveries/s" + (f", window {param(rd, 'window')}" if rd else ""), fmt_int(ours, " /s"),
        "occhat 1:1 relay, window", fmt_rate(relay_window), fmt_ratio(ours, relay_window, "ours/1:1"),
        "≥ 1.0× 1:1 window rate", met_text(check(ratio, lambda x: x >= 1.0)))
    row(f"{of}: store growth per message, members online", fmt_bytes(metric(rd, "store_bytes_per_msg")),
        "—", "—", "—", "—", "—")
    row(f"{of}: store growth per message, members offline",
        fmt_bytes(metric(pick(records, "room", "offline"), "store_bytes_per_msg")), "—", "—", "—", "—", "—")

    rc = pick(records, "connections", "idle")
    held = metric(rc, "held")
    clients = param(rc, "clients")
    row("connections held (idle, logged in)" + (f" of {clients:,}" if isinstance(clients, int) else ""),
        fmt_int(held), "—", "—", "—", "≥ 19,000",
        # A run that asked for fewer clients (--quick) cannot meet it: say so instead of "NO".
        f"n/a (asked {clients:,})" if isinstance(clients, int) and clients < 19000
        else met_text(check(held, lambda x: x >= 19000)))
    rss = metric(rc, "rss_per_conn_bytes")
    row("server RSS per connection", fmt_kib(rss), "—", "—", "—", "≤ 8 KiB",
        met_text(check(rss, lambda x: x <= 8 * 1024)))
    row("connect + login (token resume) rate", fmt_int(metric(rc, "connect_login_per_s"), " /s"),
        "—", "—", "—", "—", "—")
    row("password logins (argon2id)", fmt_int(metric(rc, "password_logins_per_s"), " /s"),
        "—", "—", "—", "—", "—")

    rf = pick(records, "files", "1file")
    hf = pick(records, "http", "1file")
    size = param(rf, "size_bytes")
    what = f"{size / 2**20:,.0f} MiB file" if isinstance(size, (int, float)) else "1 file"
    row(f"files: upload, {what}", fmt_mbs(metric(rf, "upload_mb_s")), "—", "—", "—", "—", "—")
    ng = "nginx sendfile + curl"
    for label, key, peer_name, factor in (("files: download to /dev/null", "download_null_mb_s", ng, 0.8),
                                          ("files: download to disk", "download_disk_mb_s", "curl to disk", 0.9)):
        ours = metric(rf, key)
        peer = metric(hf, key)
        ratio = None if ours is None or not peer else ours / peer
        row(label, fmt_mbs(ours), peer_name, fmt_mbs(peer), fmt_ratio(ours, peer, "ours/peer"),
            f"≥ {factor}× peer", met_text(check(ratio, lambda x, f=factor: x >= f)))
    chunk = param(rf, "chunk_bytes", 1048576)
    ours = metric(rf, "resume_resent_bytes")
    row("files: resume at half, bytes re-sent", fmt_bytes(ours), "curl -C -",
        fmt_bytes(metric(hf, "resume_resent_bytes")), "—",
        f"≤ 1 chunk ({chunk:,} B)", met_text(check(ours, lambda x: x <= chunk)))
    ours = metric(rf, "resume_mb_s")
    peer = metric(hf, "resume_mb_s")
    row("files: resume of the second half", fmt_mbs(ours), "curl -C -", fmt_mbs(peer),
        fmt_ratio(ours, peer, "ours/peer"), "—", "—")

    py = pick(records, "python", "events")
    for label, ours_key, peer_key, peer_name in (
            ("python: 1,000 events, async for (occhat.aio)", "aio_events_per_s", "sync_events_per_s",
             "for (occhat.Client), same run"),
            ("python: 1,000 events, occhat.aio.Bot", "aio_bot_events_per_s", "sync_bot_events_per_s",
             "occhat.Bot, same run")):
        ours = metric(py, ours_key)
        peer = metric(py, peer_key)
        row(label, fmt_int(ours, " events/s"), peer_name, fmt_int(peer, " events/s"),
            fmt_ratio(ours, peer, "aio/sync"), "—", "—")

    ip = metric(pick(records, "iperf3", "loopback"), "gbit_s")
    dl = metric(rf, "download_null_mb_s")
    dl_gbit = None if dl is None else dl * 8 / 1000
    row("loopback ceiling: download to /dev/null vs TCP", fmt_gbit(dl_gbit), "iperf3, 1 stream",
        fmt_gbit(ip), fmt_ratio(dl_gbit, ip, "ours/peer"), "—", "—")
    return rows


# ---- chat servers: repeated, interleaved runs (issue 15) -----------------------------------
# Every relay, backlog and connection case runs in rounds (params.round), occhat and each peer in
# turn. A figure is the median over the rounds with the min–max beside it; a ratio is taken per
# round (the two runs next to each other) and summarised the same way.
def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def runs_of(records, bench, case, where=None):
    return [r for r in records if r.get("bench") == bench and r.get("case") == case
            and (where is None or where(r))]


def by_round(recs, name):
    out = {}
    for r in recs:
        v = metric(r, name)
        if v is not None:
            out[param(r, "round", 0)] = v
    return out


def spread(values, fmt):
    """ "median (min–max)", or the one value."""
    values = [v for v in values if v is not None]
    if not values:
        return NA
    m = fmt(median(values))
    if len(values) == 1:
        return m
    return f"{m} ({fmt(min(values))}–{fmt(max(values))})"


def ratio_values(ours, peer, higher_better):
    """Per-round ratios (above 1 = occhat better) of two {round: value} maps."""
    out = []
    for k in sorted(set(ours) & set(peer)):
        a, b = ours[k], peer[k]
        if higher_better and b:
            out.append(a / b)
        elif not higher_better and a:
            out.append(b / a)
    if not out and ours and peer:
        # No common rounds (a peer measured once): the ratio of the medians.
        a, b = median(list(ours.values())), median(list(peer.values()))
        if (b if higher_better else a):
            out.append(a / b if higher_better else b / a)
    return out


def fmt_x(v):
    return f"{v:.2f}×"


XMPP = ("ejabberd", "prosody")
PERSISTED = {
    "occhat": "occhat: SQLite WAL; --durability disk fsyncs before acknowledging, process writes to the OS",
    "mosquitto": "mosquitto: persistence off (memory only)",
    "ejabberd": "ejabberd: mod_offline on Mnesia (disc_only_copies, DETS): written to the OS, no fsync per message",
    "prosody": "Prosody: mod_offline on the internal file store: appended and flushed to the OS, no fsync",
}
CHAT_HEADER = ["figure", "occhat process", "occhat disk", "ejabberd", "× ejabberd", "Prosody", "× Prosody",
               "mosquitto QoS 1", "× mosquitto", "target (process)", "met?"]


def chat_rows(records):
    rows = []
    skipped = {param(r, "server"): r.get("reason", "") for r in runs_of(records, "xmpp", "skipped")}

    def occhat(bench, case, durability, where=None):
        return runs_of(records, bench, case, lambda r: param(r, "durability", "disk") == durability
                       and (where is None or where(r)))

    def xmpp(case, server, where=None):
        return runs_of(records, "xmpp", case, lambda r: param(r, "server") == server and param(r, "round", 0) > 0
                       and (where is None or where(r)))

    def row(figure, name, fmt, higher_better, ours, disk, peers, target="—", test=None):
        """peers: {"ejabberd": recs, "prosody": recs, "mosquitto": recs}; test(median, ratios) -> bool."""
        ours_v = by_round(ours, name)
        cells = [figure, spread(list(ours_v.values()), fmt), spread(list(by_round(disk, name).values()), fmt)]
        ratios = {}
        for peer in ("ejabberd", "prosody", "mosquitto"):
            recs = peers.get(peer)
            if recs is None:
                cells += ["—", "—"]
                continue
            pv = by_round(recs, name)
            if not pv and peer in skipped:
                cells += ["not run", "—"]
                continue
            rv = ratio_values(ours_v, pv, higher_better)
            ratios[peer] = median(rv)
            cells += [spread(list(pv.values()), fmt), spread(rv, fmt_x)]
        ok = None if test is None or not ours_v else test(median(list(ours_v.values())), ratios)
        cells += [target, "—" if test is None else met_text(ok)]
        rows.append(cells)

    def vs(peer_min, mosq_min=1.0):
        def test(_m, ratios):
            checks = [ratios.get(p) for p in XMPP if ratios.get(p) is not None]
            checks = [r >= peer_min for r in checks]
            if ratios.get("mosquitto") is not None:
                checks.append(ratios["mosquitto"] >= mosq_min)
            return all(checks) if checks else None
        return test

    p1 = lambda r: param(r, "pairs") == 1
    p50 = lambda r: param(r, "pairs") == 50
    cases = [
        ("relay, 1 in flight, 1 pair, msg/s", "inflight1", p1, runs_of(records, "mqtt", "inflight1")),
        ("relay, 1 in flight, 50 pairs, msg/s", "inflight1", p50, runs_of(records, "mqtt", "inflight1")),
        ("relay, window 64, 50 pairs, msg/s", "window", None, runs_of(records, "mqtt", "window")),
    ]
    for label, case, where, mq in cases:
        target, test = "≥ 2× XMPP, ≥ 1× mosquitto", vs(2.0)
        if case == "window":
            target = "≥ 100,000 msg/s (disk ≥ 60,000); ≥ 2× XMPP, ≥ 1× mosquitto"
            base = vs(2.0)
            test = lambda m, r, base=base: (m >= 100000) and base(m, r) is not False
        row(label, "msgs_per_s", lambda v: f"{v:,.0f}", True, occhat("relay", case, "process", where),
            occhat("relay", case, "disk", where),
            {"ejabberd": xmpp(case, "ejabberd", where), "prosody": xmpp(case, "prosody", where), "mosquitto": mq},
            target, test)
    rate = lambda r: True
    for name, key, target, test in (("p50", "p50_us", "—", None),
                                    ("p99", "p99_us", "≤ 1 ms; ≥ 1× XMPP", None),
                                    ("p99.9", "p999_us", "—", None)):
        if key == "p99_us":
            test = lambda m, r: m <= 1000 and all(r.get(p) is None or r[p] >= 1.0 for p in XMPP)
        row(f"latency {name} at 5,000/s offered (50 pairs; mosquitto 1)", key, fmt_us, False,
            occhat("relay", "rate", "process"), occhat("relay", "rate", "disk"),
            {"ejabberd": xmpp("rate", "ejabberd"), "prosody": xmpp("rate", "prosody"),
             "mosquitto": runs_of(records, "mqtt", "rate")}, target, test)

    # Backlog: compared as delivery rates (messages / login-to-last-message time), since the XMPP
    # peers queue fewer messages per round than occhat's 100,000.
    ob = occhat("backlog", "offline", "process")
    n = param(ob[0], "messages") if ob else None
    xn = {p: param(xmpp("backlog", p)[0], "messages") if xmpp("backlog", p) else None for p in XMPP}
    label = "offline backlog delivered at login, msg/s" + (f" (occhat {n:,}" if isinstance(n, int) else " (")
    label += "".join(f", {p} {v:,}" for p, v in xn.items() if isinstance(v, int)) + ")"
    row(label, "msgs_per_s", lambda v: f"{v:,.0f}", True, ob, occhat("backlog", "offline", "disk"),
        {"ejabberd": xmpp("backlog", "ejabberd", lambda r: metric(r, "finished") == 1),
         "prosody": xmpp("backlog", "prosody", lambda r: metric(r, "finished") == 1),
         "mosquitto": runs_of(records, "mqtt", "backlog")}, "≥ 2× XMPP", vs(2.0, 0.0))
    big = [r for r in runs_of(records, "xmpp", "backlog") if param(r, "round", 0) == 0]
    if big:
        cells = [f"XMPP backlog of {param(big[0], 'messages'):,}: one attempt, "
                 f"{param(big[0], 'limit_s'):g} s to store and to deliver",
                 spread([metric(r, "seconds") for r in ob], fmt_s), "—"]
        for peer in XMPP:
            r = next((x for x in big if param(x, "server") == peer), None)
            if r is None:
                cells += [NA, "—"]
            elif metric(r, "finished") == 1:
                cells += [fmt_s(metric(r, "seconds")), "—"]
            elif metric(r, "stored") is not None:
                cells += [f"did not finish: {metric(r, 'stored'):,.0f} stored in {metric(r, 'fill_seconds'):,.0f} s", "—"]
            else:
                cells += [f"did not finish: {metric(r, 'received') or 0:,.0f} delivered", "—"]
        cells += ["—", "—", "—", "—"]
        rows.append(cells)

    conn = runs_of(records, "connections", "idle")
    row("server RSS per idle logged-in connection", "rss_per_conn_bytes", fmt_kib, False, conn, [],
        {"ejabberd": xmpp("idle", "ejabberd"), "prosody": xmpp("idle", "prosody")}, "≥ 2× XMPP",
        lambda m, r: all(r.get(p) is None or r[p] >= 2.0 for p in XMPP))
    logins = [dict(r, metrics=dict(r["metrics"], logins_per_s=metric(r, "connect_login_per_s"))) for r in conn]
    row("logins/s (occhat: token resume; XMPP: SASL PLAIN)", "logins_per_s", lambda v: f"{v:,.0f}", True,
        logins, [], {"ejabberd": xmpp("logins", "ejabberd"), "prosody": xmpp("logins", "prosody")})

    for label, case, where, mq in (("1 in flight, 1 pair", "inflight1", p1, runs_of(records, "mqtt", "inflight1")),
                                   ("window 64", "window", None, runs_of(records, "mqtt", "window")),
                                   ("5,000/s offered", "rate", None, runs_of(records, "mqtt", "rate"))):
        target, test = ("≤ 10 µs", lambda m, r: m <= 10) if case == "window" else ("—", None)
        row(f"server CPU per relayed message, {label}", "server_cpu_us_per_msg", lambda v: f"{v:,.1f} µs", False,
            occhat("relay", case, "process", where), occhat("relay", case, "disk", where),
            {"ejabberd": xmpp(case, "ejabberd", where), "prosody": xmpp(case, "prosody", where), "mosquitto": mq},
            target, test)

    # Durability vs the disk: 1 pair, 1 in flight, --durability disk against 1/fdatasync (p50 of
    # in-place rewrites, what a reset WAL does) of the same round.
    disk = runs_of(records, "disk", "fdatasync")
    d = by_round(disk, "p50_us")
    relay_disk = by_round(occhat("relay", "inflight1", "disk", p1), "msgs_per_s")
    frac = [relay_disk[k] / (1e6 / d[k]) for k in sorted(set(d) & set(relay_disk)) if d[k]]
    for what, p50_key, p99_key in (("4 KiB rewritten in place, as the WAL", "p50_us", "p99_us"),
                                   ("4 KiB appended", "append_p50_us", "append_p99_us")):
        rows.append([f"fdatasync of this disk, p50 / p99, {what}", "—",
                     f"{spread(list(by_round(disk, p50_key).values()), fmt_us)} / "
                     f"{spread(list(by_round(disk, p99_key).values()), fmt_us)}",
                     "—", "—", "—", "—", "—", "—", "—", "—"])
    rows.append(["relay 1 in flight, 1 pair (2 senders), --durability disk, as a fraction of 1/fdatasync p50", "—",
                 spread(frac, lambda v: f"{v:.2f}"), "—", "—", "—", "—", "—", "—", "≥ 0.8 (disk)",
                 met_text(check(median(frac), lambda x: x >= 0.8)) if frac else NA])
    return rows, skipped


# The server's stages of a 1:1 send (occhat_send_stage_seconds, README "Metrics"), in order.
SEND_STAGES = (
    ("dispatch", "frame read → handler starts"),
    ("queue", "handler → store job starts (behind other jobs and commits)"),
    ("job", "the job's SQL statements"),
    ("commit", "job done → durable (rest of the group commit, fsync)"),
    ("resume", "durable → handler resumes on the network thread"),
    ("push", "resumed → answer and recipient's push queued"),
    ("write", "push queued → written to the recipient's socket"),
    ("total", "server: frame read → recipient's push written"),
)
STAGE_HEADER = ["stage", "process p50", "process p99", "disk p50", "disk p99"]


def stage_rows(records):
    """Where a send's time goes at 5,000/s: each server stage's p50 and p99 over the rate case's
    window (median of the rounds, min–max), then what the client measured; [] when no rate run has
    the stages (result lines from before occhat-bench scraped them)."""
    def runs(durability):
        return [r for r in runs_of(records, "relay", "rate", lambda r: param(r, "durability", "disk") == durability)
                if isinstance(r["metrics"].get("server_stages"), dict) and r["metrics"]["server_stages"]]

    by_durability = {d: runs(d) for d in ("process", "disk")}
    if not any(by_durability.values()):
        return []

    def stage_value(r, stage, key):
        v = r["metrics"]["server_stages"].get(stage, {}).get(key)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    rows = []
    for stage, what in SEND_STAGES:
        cells = [f"{stage}: {what}"]
        for d in ("process", "disk"):
            for key in ("p50_us", "p99_us"):
                cells.append(spread([stage_value(r, stage, key) for r in by_durability[d]], fmt_us))
        rows.append(cells)
    cells = ["client (occhat-bench): send → push received"]
    for d in ("process", "disk"):
        for key in ("p50_us", "p99_us"):
            cells.append(spread([metric(r, key) for r in by_durability[d]], fmt_us))
    rows.append(cells)
    # A tail that comes with a busy machine: how long the server's threads waited for a CPU.
    cells = ["server's threads waiting for a CPU over the window (run delay)"]
    for d in ("process", "disk"):
        cells += [spread([metric(r, "server_run_delay_s") for r in by_durability[d]], fmt_s), "—"]
    rows.append(cells)
    return rows


STAGE_NOTE = ("Each stage's percentiles are read off the server's histograms (buckets 1-1.5-2-3-5-7.5 per "
              "decade, interpolated) over the measured window, so they are per stage: the p99 of the total is "
              "not the sum of the stages' p99s. The client's figure adds occhat-bench's own threads and the "
              "loopback to the server's total.")


def stage_table_md(rows):
    return grid_md(STAGE_HEADER, rows, ["---"] + ["---:"] * 4)


def store_split(records):
    """(records of the main tables, PostgreSQL-store runs, their paired SQLite runs); the cluster
    rows' records (cluster_split) are in none of them."""
    records = [r for r in records if param(r, "cluster") is None]
    pg = [r for r in records if param(r, "store") == "postgresql"]
    paired = [r for r in records if param(r, "pair") == "postgresql"]
    rest = [r for r in records if param(r, "store") is None and param(r, "pair") is None]
    return rest, pg, paired


def cluster_split(records):
    """The cluster rows' records (params.cluster: hold, single, cross, kill; skipped ones: all)."""
    return [r for r in records if param(r, "cluster") is not None
            or (r.get("bench") == "meta" and r.get("case") == "cluster")]


def has_main(records):
    """Whether the main tables have anything to show (not a --cluster-only run)."""
    return any(r.get("bench") not in ("meta",) for r in records)


# ---- the cluster (issue 17) ---------------------------------------------------------------
CLUSTER_HEADER = ["figure", "one node", "cluster", "cluster / one node", "target", "met?"]


def cluster_rows(cl):
    """The cluster next to one node of the same store, same rounds: median (min–max), ratios per
    round cluster/one node (as measured: above 1 is more msg/s, or more latency)."""
    rows = []
    role = lambda name: (lambda r: param(r, "cluster") == name)
    hold = runs_of(cl, "connections", "idle", role("hold"))
    counted = runs_of(cl, "cluster", "connections")
    nodes = param(counted[0], "nodes", 3) if counted else 3
    per_node = param(counted[0], "clients_per_node") if counted else None
    held = {}
    for r in hold:
        v = metric(r, "held")
        if v is not None:
            held[param(r, "round", 0)] = held.get(param(r, "round", 0), 0) + v
    est = list(by_round(counted, "established").values())
    asked = f", {nodes} × {per_node:,} asked" if isinstance(per_node, int) else ""
    fmt_n = lambda v: f"{v:,.0f}"
    total_asked = nodes * per_node if isinstance(per_node, int) else None

    def over(vs):
        # A run that asked for fewer (--quick) cannot meet it: say so instead of "NO".
        if total_asked is not None and total_asked <= 20000:
            return f"n/a (asked {total_asked:,})"
        return met_text(check(median(vs), lambda x: x > 20000)) if vs else NA
    rows.append([f"connections held across {nodes} nodes (idle, logged in; a client process per node){asked}",
                 "—", spread(list(held.values()), fmt_n), "—", "> 20,000 (one process: 20,000 files)",
                 over(list(held.values()))])
    rows.append([f"connections established to the {nodes} nodes at one moment (ss, while every client process waits)", "—",
                 spread(est, fmt_n), "—", "> 20,000", over(est)])
    for k in range(1, nodes + 1):
        rss = [metric(r, "rss_per_conn_bytes") for r in hold if param(r, "node") == k]
        rows.append([f"server RSS per connection, node {k} of {nodes}", "—", spread(rss, fmt_kib), "—", "—", "—"])

    single, cross = role("single"), role("cross")
    p1 = lambda r: param(r, "pairs") == 1
    both = lambda w, extra: (lambda r: w(r) and (extra is None or extra(r)))
    fmt_rate_v = lambda v: f"{v:,.0f}"
    rate = next((param(r, "rate") for r in runs_of(cl, "relay", "rate")), None)
    at = f" at {rate:,.0f} msg/s offered" if isinstance(rate, (int, float)) else ""
    for label, case, where, name, fmt in (
            ("relay, 1 in flight, 1 pair, msg/s", "inflight1", p1, "msgs_per_s", fmt_rate_v),
            ("relay, window 64, 50 pairs, msg/s", "window", None, "msgs_per_s", fmt_rate_v),
            (f"relay latency p50{at}, 50 pairs", "rate", None, "p50_us", fmt_us),
            (f"relay latency p99{at}, 50 pairs", "rate", None, "p99_us", fmt_us),
            ("server CPU per relayed message, window 64 (all nodes)", "window", None, "server_cpu_us_per_msg",
             lambda v: f"{v:,.1f} µs")):
        one = by_round(runs_of(cl, "relay", case, both(single, where)), name)
        two = by_round(runs_of(cl, "relay", case, both(cross, where)), name)
        rows.append([label + (" (cluster: sender and receiver on 2 nodes)" if case == "inflight1" else ""),
                     spread(list(one.values()), fmt), spread(list(two.values()), fmt),
                     spread(ratio_values(two, one, True), fmt_x), "—", "—"])

    kill = runs_of(cl, "cluster", "node_loss")
    last = [metric(r, "all_offline_s") for r in kill]
    first = [metric(r, "first_offline_s") for r in kill]
    watched = param(kill[0], "watched") if kill else None
    of = f"{watched:,} users" if isinstance(watched, int) else "its users"
    rows.append([f"node SIGKILLed: {of} offline for a friend on another node, last (median of {len(kill)})", "—",
                 spread(last, fmt_s), "—", "≤ 15 s",
                 met_text(check(median([v for v in last if v is not None]), lambda x: x <= 15)) if last else NA])
    rows.append(["node SIGKILLed: the first of its users offline on the other node", "—", spread(first, fmt_s), "—", "—", "—"])
    return rows


def cluster_notes(cl):
    meta = next((r for r in cl if r.get("bench") == "meta"), None)
    loads = [metric(r, "load1_at_start") for r in cl if metric(r, "load1_at_start") is not None]
    other = [metric(r, "other_cpu_cores") for r in cl if metric(r, "other_cpu_cores") is not None]
    out = []
    if meta:
        out.append(f"PostgreSQL {param(meta, 'postgresql')} (fsync on) and nats-server {param(meta, 'nats')}, "
                   f"all nodes and clients on this one machine; the bus (--bus) "
                   f"{'on' if param(meta, 'bus') else 'not in this occhat-server: nodes shared only the store'}.")
    if loads:
        out.append(f"Load average at the start of the cluster runs: {min(loads):.2f}–{max(loads):.2f} "
                   f"(median {median(loads):.2f})"
                   + (f"; CPU used by other processes during a run: median {median(other):.2f} cores, "
                      f"max {max(other):.2f} (the connection case's 3 client processes count each other)" if other else "")
                   + ".")
    for r in runs_of(cl, "cluster", "skipped"):
        out.append(f"Not measured ({param(r, 'cluster')}): {r.get('reason', '')}.")
    return out


def cluster_table_md(rows):
    return grid_md(CLUSTER_HEADER, rows, ["---", "---:", "---:", "---:", "---", "---"])


STORE_HEADER = ["figure", "SQLite, --durability disk", "PostgreSQL, fsync on", "× PostgreSQL/SQLite"]


def store_rows(pg, paired):
    """PostgreSQL store next to SQLite, same rounds; ratios above 1: PostgreSQL better."""
    rows = []
    p1 = lambda r: param(r, "pairs") == 1
    for label, bench, case, where, name, fmt, higher in (
            ("relay, 1 in flight, 1 pair, msg/s", "relay", "inflight1", p1, "msgs_per_s", lambda v: f"{v:,.0f}", True),
            ("relay, window 64, 50 pairs, msg/s", "relay", "window", None, "msgs_per_s", lambda v: f"{v:,.0f}", True),
            ("offline backlog delivered at login (20,000 msgs; 5,000 with --quick), msg/s", "backlog", "offline",
             None, "msgs_per_s",
             lambda v: f"{v:,.0f}", True),
            ("server CPU per relayed message, window 64", "relay", "window", None, "server_cpu_us_per_msg",
             lambda v: f"{v:,.1f} µs", False)):
        s = by_round(runs_of(paired, bench, case, where), name)
        p = by_round(runs_of(pg, bench, case, where), name)
        rows.append([label, spread(list(s.values()), fmt), spread(list(p.values()), fmt),
                     spread(ratio_values(p, s, higher), fmt_x)])
    return rows


def store_table_md(rows):
    return grid_md(STORE_HEADER, rows, ["---", "---:", "---:", "---:"])


def grid_text(header, rows):
    """A plain-text table: columns padded to their widest cell, a rule under the header."""
    table = [header] + rows
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for n, r in enumerate(table):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def grid_md(header, rows, aligns):
    """A Markdown table; aligns: one "---" (left) or "---:" (right) per column."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def chat_table_md(rows):
    return grid_md(CHAT_HEADER, rows, ["---"] + ["---:"] * 8 + ["---"] * 2)


def chat_table_text(rows):
    return grid_text(CHAT_HEADER, rows)


def noise_lines(records, skipped):
    """How quiet the machine was: load average at the start of each run, other processes' CPU."""
    loads = [metric(r, "load1_at_start") for r in records if metric(r, "load1_at_start") is not None]
    other = [metric(r, "other_cpu_cores") for r in records if metric(r, "other_cpu_cores") is not None]
    meta = pick(records, "meta", "peers")
    out = []
    if meta:
        out.append(f"Rounds: {param(meta, 'runs')} (occhat and each peer in turn within a round); "
                   f"{param(meta, 'relay_seconds')} s measured per relay run after a 1 s warm-up.")
    if loads:
        noisy = sum(1 for v in other if v > 0.25)
        out.append(f"Load average at the start of the runs: {min(loads):.2f}–{max(loads):.2f} (median {median(loads):.2f}); "
                   f"CPU used by other processes during a run: median {median(other):.2f} cores, max {max(other):.2f}; "
                   f"{noisy} of {len(other)} runs had more than 0.25 cores of other work"
                   + (" — WARNING: a shared, busy machine; compare the ratios and the CPU per message, not the absolute rates."
                      if noisy else "."))
    out.append("What each system persisted: " + "; ".join(PERSISTED.values()) + ".")
    out.append("\"In flight\" for XMPP is end to end (the receiver has the message; XMPP has no server "
               "acknowledgement); occhat's is the server's acknowledgement. A pair is two friends both sending "
               "(mosquitto: one publisher). Server CPU per message is the server's utime+stime from /proc divided "
               "by the messages it relayed (the backlog: stored and delivered): for occhat's relay rows over "
               "occhat-bench's measured window (read at its start and end), for the peers and occhat's other "
               "rows over the client's run (warm-up and logins included).")
    for server, reason in skipped.items():
        out.append(f"{server} was not measured: {reason}")
    return out


def text_table(rows):
    return grid_text(HEADER, rows)


def md_escape(s):
    return s.replace("|", "\\|")


def markdown_table(rows):
    return grid_md(HEADER, rows, ["---", "---:", "---", "---:", "---:", "---", "---"])


RATIO_NOTE = ("Ratios are ours/peer for throughput and peer/ours for latency and time, so above 1 "
              "is always better for occhat. \"n/a\": the figure was not measured in this run.")


# ---- RESULTS.md ---------------------------------------------------------------------------
def machine():
    cpu = NA
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = NA
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                    break
    except (OSError, ValueError):
        pass
    return {"cores": str(os.cpu_count() or NA), "cpu": cpu, "memory": mem,
            "kernel": f"{platform.system()} {platform.release()}"}


def git(*args):
    try:
        out = subprocess.run(["git", "--no-optional-locks", "-C", ROOT, *args], capture_output=True,
                             text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def commit():
    rev = git("rev-parse", "--short", "HEAD")
    if not rev:
        return NA
    status = git("status", "--porcelain")
    if status is None:
        return rev
    return f"{rev} (with uncommitted changes)" if status else rev


def raw_table(records):
    lines = ["| bench | case | params | metrics |", "|---|---|---|---|"]
    for r in records:
        lines.append("| {} | {} | `{}` | `{}` |".format(
            md_escape(str(r.get("bench"))), md_escape(str(r.get("case"))),
            md_escape(json.dumps(r["params"], ensure_ascii=False)),
            md_escape(json.dumps(r["metrics"], ensure_ascii=False))))
    return "\n".join(lines)


def results_md(all_records, rows, command):
    records, pg, paired = store_split(all_records)
    cl = cluster_split(all_records)
    m = machine()
    meta = pick(records, "meta", "run")
    meta_peers = pick(records, "meta", "peers")
    peers = ", ".join(f"{k} {v}" for k, v in list((meta or {}).get("params", {}).items())
                      + list((meta_peers or {}).get("params", {}).items())
                      if k not in ("quick", "runs", "relay_seconds") and v) or NA
    chat, skipped = chat_rows(records)
    quick = param(meta, "quick")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# occhat benchmark results",
        "",
        "Written by `bench/report.py` from a run of `scripts/bench.sh` (issues 6 and 15): every figure of "
        "occhat next to the peer a user would pick instead, measured in the same run on the same "
        "machine. Reproduce with `scripts/bench.sh` (full run, writes this file) or "
        "`scripts/bench.sh --quick` (a short smoke run).",
        "",
        f"- machine: {m['cores']} cores, {m['cpu']}, {m['memory']} memory, {m['kernel']}",
        f"- date: {now}",
        f"- commit: {commit()}",
        f"- command: `{command}`" + (" (quick: shorter runs and smaller sizes)" if quick else ""),
        f"- peers: {peers}",
        "",
        "## Chat servers: occhat, ejabberd, Prosody, mosquitto",
        "",
        "Median of the rounds, min–max in brackets; ratios per round (above 1 = occhat better), "
        "occhat with `--durability process` against the peers (none of which fsyncs per message), "
        "`--durability disk` beside it.",
        "",
        chat_table_md(chat),
        "",
        *[f"- {line}" for line in noise_lines(records, skipped)],
        "",
        "## Where a send's time goes at 5,000/s",
        "",
        "The relay's rate case (50 pairs, 5,000 msg/s offered) seen from inside occhat-server: "
        "`occhat_send_stage_seconds` scraped from its `/metrics` at the measured window's start and "
        "end. Median of the rounds, min–max in brackets.",
        "",
        (stage_table_md(stage_rows(records)) + "\n\n" + STAGE_NOTE) if stage_rows(records)
        else "Not measured in this run (occhat-bench without the server's stage figures).",
        "",
        "## PostgreSQL store next to SQLite",
        "",
        "The same occhat-server on `--store postgresql://...` (a throwaway local cluster of Debian's "
        "PostgreSQL, fsync on: a commit waits for its WAL flush) and on SQLite with `--durability disk`, "
        "in turn within each round; a fresh database per case. Median (min–max).",
        "",
        store_table_md(store_rows(pg, paired)) if pg else "Not measured in this run"
        + "".join(f": {r.get('reason')}" for r in runs_of(all_records, "postgresql", "skipped")) + ".",
        "",
        "## A cluster: nodes on one PostgreSQL and one NATS",
        "",
        "occhat-server nodes on one store (a throwaway PostgreSQL, fsync on; a fresh database per case) "
        "and one nats-server (`--bus`), next to one node on the same PostgreSQL, in turn within each "
        "round. Connections: one client process per node (one process may open at most 20,000 files "
        "here), all holding at once behind a barrier. Cross-node relay: each pair's two users on two "
        "nodes, so every message crosses the bus. Node loss: 2 nodes, users on node 1 and a friend "
        "watching from node 2, node 1 SIGKILLed. Median (min–max); ratios per round.",
        "",
        cluster_table_md(cluster_rows(cl)) if cl else "Not measured in this run.",
        "",
        *[f"- {line}" for line in cluster_notes(cl)],
        "",
        "## Everything else",
        "",
        markdown_table(rows),
        "",
        RATIO_NOTE,
        "",
        "## Every raw figure",
        "",
        "One row per JSON line of the run (`build/bench-results.jsonl`). MB = 10^6 bytes, "
        "us = microseconds.",
        "",
        raw_table(all_records),
        "",
    ]
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description="Render scripts/bench.sh results as one table.")
    ap.add_argument("results", nargs="?", default=os.path.join(ROOT, "build", "bench-results.jsonl"),
                    help="JSON lines (default: build/bench-results.jsonl)")
    ap.add_argument("--write", metavar="FILE", help="also write a Markdown report (bench/RESULTS.md)")
    ap.add_argument("--readme-table", action="store_true", help="print only the Markdown table")
    ap.add_argument("--command", default="scripts/bench.sh", help="the command line to record")
    args = ap.parse_args()

    all_records = load(args.results)
    records, pg, paired = store_split(all_records)
    cl = cluster_split(all_records)
    main_tables = has_main(records)  # not with --cluster-only
    rows = build_rows(records)
    chat, skipped = chat_rows(records)
    if args.readme_table:
        if main_tables:
            print(chat_table_md(chat))
            print()
            if stage_rows(records):
                print(stage_table_md(stage_rows(records)))
                print()
        if pg:
            print(store_table_md(store_rows(pg, paired)))
            print()
        if cl:
            print(cluster_table_md(cluster_rows(cl)))
            print()
        if main_tables:
            print(markdown_table(rows))
        return 0
    if main_tables:
        print(chat_table_text(chat))
        print()
        for line in noise_lines(records, skipped):
            print(line)
        print()
        print(text_table(rows))
        if stage_rows(records):
            print()
            print("Where a send's time goes at 5,000/s (relay rate case; median of the rounds, min–max):")
            print(grid_text(STAGE_HEADER, stage_rows(records)))
            print(STAGE_NOTE)
    if cl:
        print()
        print("A cluster: nodes on one PostgreSQL and one NATS (median, min–max; ratios cluster / one node):")
        print(grid_text(CLUSTER_HEADER, cluster_rows(cl)))
        for line in cluster_notes(cl):
            print(line)
    if pg:
        print()
        print("PostgreSQL store next to SQLite (median, min–max):")
        for r in store_rows(pg, paired):
            print(f"  {r[0]}: SQLite {r[1]}, PostgreSQL {r[2]}, {r[3]}")
    if main_tables:
        print()
        print(RATIO_NOTE)
    if args.write:
        text = results_md(all_records, rows, args.command)  # before opening: git status sees the old file
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
