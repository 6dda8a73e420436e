"""The server's log lines: text with a UTC time (none under systemd, whose journal adds its own),
or --log-format json for log shippers."""

import json
import re

from conftest import Server, clean_env, make_user

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def test_json_lines_one_object_each(server_factory, tmp_path):
    srv = server_factory(extra_args=("--log-format", "json"))
    make_user(srv, tmp_path, "alice")
    assert srv.stop() == 0
    lines = srv.stderr().splitlines()
    assert lines
    records = [json.loads(line) for line in lines]  # every line parses on its own
    assert all(set(r) == {"time", "message"} for r in records), records
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]) for r in records)
    assert any("logged in" in r["message"] for r in records), records


def test_text_lines_have_no_time_of_their_own_under_systemd(tmp_path):
    env = clean_env(tmp_path)
    env["JOURNAL_STREAM"] = "8:12345"  # what systemd sets when stderr goes to the journal
    srv = Server(tmp_path / "data", tmp_path / "logs", env=env).start()
    try:
        make_user(srv, tmp_path, "alice")
    finally:
        assert srv.stop() == 0
    lines = srv.stderr().splitlines()
    assert any(line.startswith("listening on") for line in lines), lines
    assert not any(STAMP.match(line) for line in lines), lines


def test_text_lines_carry_a_utc_time_elsewhere(server_factory, tmp_path):
    srv = server_factory()
    assert srv.stop() == 0
    lines = srv.stderr().splitlines()
    assert lines and all(STAMP.match(line) for line in lines), lines
