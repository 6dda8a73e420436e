"""occhat-server export / import end to end (README "Export, import and backups"): a real server
on SQLite with users, friends, a room, offline messages and a file; stopped; exported; imported
into PostgreSQL (a fresh database per test on OCCHAT_TEST_PG_URI's cluster); exported again to
the same records; imported twice with --merge to no change; refused into a non-empty store
without --merge; then served again, where the users log in with their passwords, see their
history and offline messages and download the file. A malformed dump imports nothing."""

import itertools
import json
import os
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import PASSWORD, befriend, clean_env, make_user, server_binary, sha256_of, write_random

PG_URI = os.environ.get("OCCHAT_TEST_PG_URI", "")
_databases = itertools.count()


def occhat_server(tmp_path, *args, stdin=None):
    """occhat-server ARGS: (exit code, stdout, stderr); stdin and stdout are bytes."""
    proc = subprocess.run([str(server_binary()), *map(str, args)], input=stdin, capture_output=True, timeout=120,
                          stdin=None if stdin is not None else subprocess.DEVNULL, env=clean_env(tmp_path))
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


def psql(uri, sql):
    subprocess.run(["psql", uri, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True,
                   timeout=60)


@pytest.fixture
def pg_store():
    """A fresh, empty PostgreSQL database (dropped afterwards): its URI."""
    if not PG_URI:
        pytest.skip("OCCHAT_TEST_PG_URI is not set: no PostgreSQL cluster to import into "
                    "(scripts/pg-cluster.sh start prints one; scripts/test.sh sets it)")
    name = f"occhat_dump_{os.getpid()}_{next(_databases)}"
    psql(PG_URI, f"DROP DATABASE IF EXISTS {name}")
    psql(PG_URI, f"CREATE DATABASE {name}")
    uri = urllib.parse.urlparse(PG_URI)._replace(path="/" + name).geturl()
    yield uri
    psql(PG_URI, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def records(dump):
    """The dump's lines without the header (export time and source differ), as text."""
    lines = dump.decode().splitlines()
    header = json.loads(lines[0])
    assert (header["format"], header["version"]) == ("occhat-dump", 1), header
    assert json.loads(lines[-1])["type"] == "end"
    return lines[1:]


def user_count(tmp_path, *store_args):
    """Accounts in the store, counted in its export (which reads PostgreSQL too)."""
    rc, out, err = occhat_server(tmp_path, *store_args, "export")
    assert rc == 0, err
    return sum(json.loads(line).get("type") == "user" for line in out.decode().splitlines())


def test_sqlite_to_postgresql_and_back_into_service(server_factory, tmp_path, pg_store):
    srv = server_factory()
    a, b, c = (make_user(srv, tmp_path, n) for n in ("alice", "bob", "carol"))
    befriend(a, b)
    befriend(b, c)
    c.ok("add", a.id)  # pending
    room_id = int(a.ok("room", "create", "team"))
    a.ok("room", "invite", room_id, b.id)
    b.ok("room", "join", room_id)
    a.ok("send", "--room", room_id, "welcome to the team")
    # bob is offline: these wait in his inbox.
    a.ok("send", b.id, "hello bob")
    a.ok("send", b.id, "are you there?")
    src = tmp_path / "report.bin"
    digest = write_random(src, 300_000)
    file_id = a.jsonl("upload", b.id, src, timeout=120)[0]["id"]
    c.ok("send", b.id, "hi from carol")
    c.ok("inbox")  # carol has seen hers (acknowledged)
    assert srv.stop() in (None, 0)

    # Export the stopped SQLite server (its data dir: the database and files/).
    rc, dump, err = occhat_server(tmp_path, "--data-dir", srv.data_dir, "export")
    assert rc == 0, err
    assert "exported 3 user, 2 friendship, 1 friend_request" in err, err
    lines = records(dump)
    types = [json.loads(line)["type"] for line in lines]
    assert types.count("file_data") == 7  # 300000 bytes in 48 KiB lines
    (tmp_path / "dump.jsonl").write_bytes(dump)
    # Named by --store, without --files-dir, the bytes stay behind, and both commands say so.
    rc, records_only, err = occhat_server(tmp_path, "--store", f"sqlite:{srv.data_dir / 'occhat.db'}", "export")
    assert rc == 0 and "file bytes not exported: give --files-dir DIR" in err, err
    assert b'"file_data"' not in records_only
    rc, out, err = occhat_server(tmp_path, "--data-dir", tmp_path / "no-bytes", "import", stdin=records_only)
    assert rc == 0 and "warning: 1 file records came without their bytes" in err, err

    # Into PostgreSQL, with the file bytes into a files directory.
    files_dir = tmp_path / "pgdata" / "files"
    pg = ("--store", pg_store)
    rc, out, err = occhat_server(tmp_path, *pg, "import", "--files-dir", files_dir, stdin=dump)
    assert rc == 0, err
    assert "imported 3 user" in err and "1 files with bytes (300000 bytes)" in err, err
    assert sha256_of(files_dir / "published" / str(file_id)) == digest

    # Exported again: the same records.
    rc, again, err = occhat_server(tmp_path, *pg, "export", "--files-dir", files_dir)
    assert rc == 0, err
    assert records(again) == lines

    # Not into a store that is not empty; with --merge, twice, nothing changes.
    rc, out, err = occhat_server(tmp_path, *pg, "import", "--files-dir", files_dir, stdin=dump)
    assert rc == 6, err
    assert "the store is not empty (3 accounts)" in err and "--merge" in err, err
    for _ in range(2):
        rc, out, err = occhat_server(tmp_path, *pg, "import", "--merge", "--files-dir", files_dir, stdin=dump)
        assert rc == 0, err
        assert "imported 0 user, 0 friendship" in err, err
    rc, merged, err = occhat_server(tmp_path, *pg, "export", "--files-dir", files_dir)
    assert records(merged) == lines

    # Serve the moved data on PostgreSQL, the files from the directory the import filled.
    srv2 = server_factory(extra_args=("--store", pg_store), data_dir=files_dir.parent)
    for user in (a, b, c):
        user.server = srv2
        user.login_again()  # sessions do not travel; passwords do
    inbox = b.ok("inbox")
    for text in ("hello bob", "are you there?", "hi from carol", "report.bin"):
        assert text in inbox, inbox
    assert [m["text"] for m in b.jsonl("history", a.id)] == ["hello bob", "are you there?"]
    assert [m["text"] for m in a.jsonl("history", "--room", room_id)] == ["welcome to the team"]
    assert c.ok("inbox") == ""  # carol's acknowledged items stay acknowledged
    dl = tmp_path / "dl"
    dl.mkdir()
    b.ok("download", file_id, cwd=dl)
    assert sha256_of(dl / "report.bin") == digest
    # New messages get new ids after the imported ones.
    b.ok("send", a.id, "back online")
    assert [m["text"] for m in a.jsonl("history", b.id)][-1] == "back online"
    assert PASSWORD  # the same password logged every user in above


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_malformed_dump_imports_nothing(tmp_path, backend, request):
    if backend == "postgresql":
        store = ("--store", request.getfixturevalue("pg_store"))
    else:
        store = ("--data-dir", tmp_path / "data")
    header = b'{"format":"occhat-dump","version":1}\n'
    user = (b'{"type":"user","id":123456,"email":"a@x","nick":"a","password_hash":"$argon2id$x",'
            b'"created_at":1}\n')
    rc, out, err = occhat_server(tmp_path, *store, "import", stdin=header + user + b'{"type":"user",\n')
    assert rc == 7, err
    assert err.startswith("occhat-server: dump line 3: not JSON"), err
    assert err.endswith("nothing imported\n") and err.count("\n") == 1, err
    assert user_count(tmp_path, *store) == 0

    rc, out, err = occhat_server(tmp_path, *store, "import", stdin=b'{"format":"occhat-dump","version":9}\n')
    assert rc == 7, err
    assert "dump line 1: dump format version 9 is not one this server reads (it reads version 1)" in err, err

    rc, out, err = occhat_server(tmp_path, *store, "import", stdin=header + user)
    assert rc == 7, err
    assert "the dump ends without its end record (truncated?)" in err, err
    assert user_count(tmp_path, *store) == 0

    rc, out, err = occhat_server(tmp_path, *store, "import", stdin=header + user + b'{"type":"end","records":1}\n')
    assert rc == 0, err
    assert user_count(tmp_path, *store) == 1


def test_export_of_a_running_server_is_consistent(server_factory, tmp_path):
    """A backup taken while messages arrive: the export is one snapshot, so it imports (every
    inbox item's message is in it) and the server went on answering meanwhile."""
    srv = server_factory()
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    stop = threading.Event()
    sent = []

    def keep_sending():
        while not stop.is_set():
            a.ok("send", b.id, f"message {len(sent)}")
            sent.append(len(sent))

    sender = threading.Thread(target=keep_sending)
    sender.start()
    try:
        deadline = time.monotonic() + 60
        while len(sent) < 3 and sender.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sent) >= 3, "alice could not send"
        dumps = []
        for _ in range(3):
            rc, dump, err = occhat_server(tmp_path, "--data-dir", srv.data_dir, "export")
            assert rc == 0, err
            dumps.append(dump)
    finally:
        stop.set()
        sender.join(timeout=60)
    assert len(sent) > 3  # the server kept answering while it was exported
    for index, dump in enumerate(dumps):
        rc, out, err = occhat_server(tmp_path, "--data-dir", tmp_path / f"restored{index}", "import", stdin=dump)
        assert rc == 0, err
        messages = [json.loads(line) for line in dump.decode().splitlines() if '"type":"message"' in line]
        items = [json.loads(line) for line in dump.decode().splitlines() if '"type":"inbox_item"' in line]
        assert {m["id"] for m in messages} >= {i["message_id"] for i in items if i["kind"] == "message"}


def test_export_names_a_wrong_files_dir_or_store(tmp_path):
    rc, out, err = occhat_server(tmp_path, "--data-dir", tmp_path / "d", "export", "--files-dir", tmp_path)
    assert (rc, out) == (1, b"")
    assert err == f"occhat-server: {tmp_path} has no published/ directory: is it the server's files directory?\n"
    rc, out, err = occhat_server(tmp_path, "--data-dir", tmp_path / "d", "export")
    assert (rc, out) == (1, b"")
    assert err == f"occhat-server: no store at {tmp_path / 'd' / 'occhat.db'} (check --data-dir or --store)\n"
    assert not (tmp_path / "d").exists()  # nothing created
