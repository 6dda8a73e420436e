"""Files (issue 4), end to end: `occhat upload`, `files`, `download` against a real server.

Big files live under tmp_path and are deleted by the tests that made them. Interruptions are real:
the client is SIGKILLed while its bytes are half way (measured on disk: PATH.part for a download,
DATA_DIR/files/uploads/*.part for an upload)."""

import json as jsonlib
import os
import pathlib
import re

from conftest import (CHUNK, TIME_JSON, TIME_TEXT, assert_json_error, assert_one_error_line, befriend,
                      drain_inbox, file_size, kill_when, largest_upload_part, make_user, parse_json,
                      sha256_of, spawn, upload_parts, write_random)

MIB = 1 << 20
FILE_JSON_KEYS = {"id", "name", "size", "sha256", "sender", "recipient", "time", "state"}
UPLOAD_JSON_KEYS = {"id", "name", "size", "sha256", "to", "sent_bytes", "resumed_from"}
DOWNLOAD_JSON_KEYS = {"id", "name", "path", "size", "sha256", "received_bytes", "resumed_from"}
FILE_EVENT_KEYS = {"version", "type", "seq", "id", "name", "size", "sha256", "from", "from_nick", "time"}
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def upload(user, to, path, *extra):
    """`occhat --json upload` that must succeed; returns its JSON."""
    rc, out, err = user.run("upload", to.id, path, *extra, json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    result = parse_json(out)
    assert set(result) == UPLOAD_JSON_KEYS, result
    assert result["to"] == to.id, result
    return result


def download(user, *args, cwd=None):
    rc, out, err = user.run("download", *args, json=True, timeout=120, cwd=cwd)
    assert (rc, err) == (0, ""), (rc, out, err)
    result = parse_json(out)
    assert set(result) == DOWNLOAD_JSON_KEYS, result
    return result


def resolve(cwd, path):
    return (pathlib.Path(cwd) / path).resolve()


def test_offline_recipient_gets_notice_lists_and_downloads_50mib(friends, tmp_path):
    a, b = friends.a, friends.b
    b.ok("logout")  # bob is offline: no client of his is connected while alice uploads
    src = tmp_path / "random-50MiB.bin"
    size = 50 * MIB
    digest = write_random(src, size)

    rc, out, err = a.run("upload", b.id, src, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    m = re.fullmatch(r"uploaded random-50MiB\.bin as file (\d+) \((\d+) bytes\); sent (\d+) bytes, "
                     r"resumed at (\d+)\n", out)
    assert m, out
    file_id = int(m.group(1))
    assert (int(m.group(2)), int(m.group(3)), int(m.group(4))) == (size, size, 0), out

    b.login_again()
    peek = b.jsonl("inbox", "--peek")
    notices = [e for e in peek if e.get("type") == "file"]
    assert len(notices) == 1, peek
    notice = notices[0]
    assert set(notice) == FILE_EVENT_KEYS, notice
    assert (notice["version"], notice["id"], notice["name"], notice["size"], notice["sha256"], notice["from"],
            notice["from_nick"]) == (1, file_id, "random-50MiB.bin", size, digest, a.id, "alice"), notice
    assert TIME_JSON.match(notice["time"]), notice
    inbox = b.ok("inbox")
    assert re.fullmatch(rf"\[{TIME_TEXT}\] alice \({a.id}\) sent you a file: random-50MiB\.bin "
                        rf"\({size} bytes\); get it with: occhat download {file_id}\n", inbox), inbox
    assert b.ok("inbox") == ""  # acknowledged

    listing = b.ok("files", a.id)
    assert re.fullmatch(rf"{file_id}  random-50MiB\.bin  {size} bytes  from alice \({a.id}\)  {TIME_TEXT}  "
                        r"available\n", listing), listing
    rows = b.jsonl("files", a.id)
    assert len(rows) == 1, rows
    row = rows[0]
    assert set(row) == FILE_JSON_KEYS, row
    assert (row["id"], row["name"], row["size"], row["sha256"], row["sender"], row["recipient"], row["state"]) == \
        (file_id, "random-50MiB.bin", size, digest, a.id, b.id, "available"), row
    assert TIME_JSON.match(row["time"]), row
    assert a.jsonl("files", b.id) == rows  # the sender sees the same file

    dl = tmp_path / "dl"
    dl.mkdir()
    rc, out, err = b.run("download", file_id, timeout=120, cwd=dl)
    assert (rc, err) == (0, ""), (rc, out, err)
    m = re.fullmatch(rf"downloaded random-50MiB\.bin to (.+) \({size} bytes\); received {size} bytes, "
                     r"resumed at 0\n", out)
    assert m, out
    target = dl / "random-50MiB.bin"
    assert resolve(dl, m.group(1)) == target, out
    assert sorted(p.name for p in dl.iterdir()) == ["random-50MiB.bin"]  # no .part / .part.meta left
    assert sha256_of(target) == digest
    print(f"\n50 MiB via an offline recipient: sha256 {digest} on both ends")
    src.unlink()
    target.unlink()


def test_download_killed_half_way_resumes(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "src.bin"
    size = 50 * MIB
    digest = write_random(src, size)
    file_id = upload(a, b, src)["id"]
    src.unlink()

    out_path = tmp_path / "got.bin"
    part = pathlib.Path(f"{out_path}.part")
    proc = spawn(b, "download", file_id, "-o", out_path, json=True)
    seen = kill_when(proc, lambda: file_size(part), size // 2, "the download")
    assert not out_path.exists()
    assert part.exists() and pathlib.Path(f"{out_path}.part.meta").exists()
    on_disk = file_size(part)
    assert 0 < on_disk <= size, (seen, on_disk)

    result = download(b, file_id, "-o", out_path, "--resume")
    remainder = size - result["resumed_from"]
    print(f"\ndownload resumed: {on_disk} bytes on disk after SIGKILL, resumed_from {result['resumed_from']}, "
          f"received_bytes {result['received_bytes']}, size - resumed_from {remainder}")
    assert 0 < result["resumed_from"] <= on_disk
    assert abs(result["received_bytes"] - remainder) <= CHUNK, result
    assert (result["id"], result["size"], result["sha256"]) == (file_id, size, digest), result
    assert resolve(tmp_path, result["path"]) == out_path, result
    assert sha256_of(out_path) == digest
    assert not part.exists() and not pathlib.Path(f"{out_path}.part.meta").exists()
    out_path.unlink()


def test_upload_killed_half_way_resumes(friends, tmp_path, server):
    a, b = friends.a, friends.b
    src = tmp_path / "up.bin"
    size = 50 * MIB
    digest = write_random(src, size)

    proc = spawn(a, "upload", b.id, src, json=True)
    seen = kill_when(proc, lambda: largest_upload_part(server), size // 2, "the upload")
    parts = upload_parts(server)
    assert len(parts) == 1, parts
    server_had = file_size(parts[0])
    assert 0 < server_had < size, (seen, server_had)

    # Both parties see the unfinished upload; bob cannot download it yet.
    rows = a.jsonl("files", b.id)
    assert [(r["name"], r["size"], r["sha256"], r["state"]) for r in rows] == [("up.bin", size, digest, "uploading")], rows
    assert [r["state"] for r in b.jsonl("files", a.id)] == ["uploading"]

    result = upload(a, b, src)
    remainder = size - result["resumed_from"]
    print(f"\nupload resumed: the server had {server_had} bytes after SIGKILL, resumed_from {result['resumed_from']}, "
          f"sent_bytes {result['sent_bytes']}, size - resumed_from {remainder}")
    assert result["resumed_from"] > 0, result
    assert abs(result["sent_bytes"] - remainder) <= CHUNK, result
    assert (result["size"], result["sha256"], result["name"]) == (size, digest, "up.bin"), result
    assert upload_parts(server) == []

    rows = b.jsonl("files", a.id)
    assert [(r["id"], r["state"]) for r in rows] == [(result["id"], "available")], rows
    out_path = tmp_path / "bob-got.bin"
    got = download(b, result["id"], "-o", out_path)
    assert got["received_bytes"] == size and got["resumed_from"] == 0, got
    assert sha256_of(out_path) == digest
    src.unlink()
    out_path.unlink()


def test_third_user_can_neither_list_nor_download(friends, tmp_path):
    a, b, c = friends.a, friends.b, friends.c
    src = tmp_path / "secret.txt"
    src.write_bytes(b"for bob only\n")
    file_id = upload(a, b, src)["id"]
    cwd = tmp_path / "carol-dl"
    cwd.mkdir()

    for peer in (a, b):
        assert c.ok("files", peer.id) == ""
        assert c.ok("files", peer.id, json=True) == ""
    rc, out, err = c.run("download", file_id, cwd=cwd)
    assert (rc, out) == (5, ""), (rc, out, err)
    assert_one_error_line(err, f"you may not access file {file_id}")
    rc, out, err = c.run("download", file_id, json=True, cwd=cwd)
    assert rc == 5
    assert_json_error(out, err, "not_allowed", 5)
    rc, out, err = c.run("download", "secret.txt", cwd=cwd)  # a name carol has no file under
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err, "no file named secret.txt")
    assert list(cwd.iterdir()) == []

    # Unknown ids are "not found", not "not allowed".
    rc, out, err = b.run("download", 999999999, cwd=cwd)
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err, "no file with id 999999999")

    # Files stay accessible to both parties after they stop being friends.
    a.ok("remove", b.id)
    got = download(b, file_id, "-o", tmp_path / "after-remove.txt")
    assert (tmp_path / "after-remove.txt").read_bytes() == b"for bob only\n", got


def test_non_friend_upload_and_bad_paths(users, tmp_path, server):
    a, c = users.a, users.c
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello\n")
    rc, out, err = c.run("upload", a.id, src)
    assert (rc, out) == (5, ""), (rc, out, err)
    assert_one_error_line(err, f"{a.id} is not your friend")
    rc, out, err = c.run("upload", a.id, src, json=True)
    assert rc == 5
    assert_json_error(out, err, "not_allowed", 5)
    assert upload_parts(server) == []
    assert c.ok("files", a.id) == ""

    missing = tmp_path / "no-such-file"
    rc, out, err = c.run("upload", a.id, missing)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert assert_one_error_line(err).startswith(f"occhat: cannot read {missing}: "), err
    rc, out, err = c.run("upload", 999999, src)  # ids are 100000..999999; this one is unlikely to exist
    assert rc in (4, 5) and out == "", (rc, out, err)


HOSTILE = [
    # (what --name gets, what the server stores)
    ("../../etc/passwd", "../../etc/passwd"),
    ("/abs/path", "/abs/path"),
    ("a\\b", "a\\b"),
    ("", "unnamed"),
    ("é" * 150, "é" * 127),  # 300 bytes -> cut to 255 bytes on a character boundary (254)
    ("x\x1b[31my\n", "x\ufffd[31my\ufffd"),
    (b"bad\xffutf8", "bad\ufffdutf8"),
]

OUTSIDE = ["/etc/passwd", "/passwd", "/tmp/passwd", "/abs", "/abs/path", "/tmp/abs", "/a\\b", "/tmp/a\\b",
           "/unnamed", "/tmp/unnamed", "/etc/unnamed"]


def snapshot(root, skip):
    return {p for p in pathlib.Path(root).rglob("*") if not any(p == s or s in p.parents for s in skip)}


def test_hostile_names_are_stored_listed_and_downloaded_safely(friends, tmp_path, server):
    a, b = friends.a, friends.b
    before_outside = {p: (os.stat(p).st_mtime_ns if os.path.lexists(p) else None) for p in OUTSIDE}
    dl = tmp_path / "dl"
    dl.mkdir()
    src = tmp_path / "payload.bin"
    ids = []
    for i, (given, stored) in enumerate(HOSTILE):
        src.write_bytes(f"payload {i}\n".encode())
        result = upload(a, b, src, "--name", given)
        assert result["name"] == stored, (given, result)
        ids.append(result["id"])

    rows = b.jsonl("files", a.id)
    assert [r["name"] for r in rows] == [s for _, s in HOSTILE], rows
    assert [r["id"] for r in rows] == ids
    text = b.ok("files", a.id)
    lines = text.splitlines()
    assert len(lines) == len(HOSTILE), text  # one line per file, whatever the name holds
    assert "\x1b" not in text and "\r" not in text, repr(text)
    for line, (_, stored) in zip(lines, HOSTILE):
        assert f"  {stored}  " in line, (line, stored)  # cleaned names need no further escaping

    others = snapshot(tmp_path, [dl, server.data_dir, server.log_dir])
    got = {}
    for file_id, (_, stored) in zip(ids, HOSTILE):
        result = download(b, file_id, cwd=dl)
        target = resolve(dl, result["path"])
        assert target.parent == dl.resolve(), result  # only ever in the current directory
        assert len(target.name.encode()) <= 200, result
        got[stored] = target.name
    print(f"\nhostile names -> download names: {got!r}")
    assert got["../../etc/passwd"] == ".._.._etc_passwd"
    assert got["/abs/path"] == "_abs_path"
    assert got["a\\b"] == "a_b"
    assert got["unnamed"] == "unnamed"
    assert got["é" * 127] == "é" * 100
    assert len(set(got.values())) == len(HOSTILE)
    for i, name in enumerate(got.values()):
        assert (dl / name).read_bytes() == f"payload {i}\n".encode()
    assert sorted(p.name for p in dl.iterdir()) == sorted(got.values())  # nothing else, no leftovers

    # Nothing appeared anywhere else: not next to the download dir, not in /, /etc or /tmp ...
    assert snapshot(tmp_path, [dl, server.data_dir, server.log_dir]) == others
    assert {p: (os.stat(p).st_mtime_ns if os.path.lexists(p) else None) for p in OUTSIDE} == before_outside
    # ... and the server stored the bytes only under names it made itself.
    for p in (server.data_dir / "files").rglob("*"):
        if p.is_file():
            assert re.fullmatch(r"\d+(\.part)?", p.name), p
            assert p.parent.name in ("uploads", "published"), p


def test_download_by_name_and_existing_path(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "notes.txt"
    src.write_bytes(b"v1\n")
    first = upload(a, b, src)["id"]
    dl = tmp_path / "dl"
    dl.mkdir()

    got = download(b, "notes.txt", cwd=dl)  # a unique name works like its id
    assert got["id"] == first and (dl / "notes.txt").read_bytes() == b"v1\n", got

    # An existing PATH is not overwritten without --force.
    (dl / "notes.txt").write_bytes(b"mine\n")
    rc, out, err = b.run("download", first, cwd=dl)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err, "notes.txt exists (use --force or -o)")
    target = tmp_path / "explicit.txt"
    target.write_bytes(b"mine too\n")
    rc, out, err = b.run("download", first, "-o", target)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err, f"{target} exists (use --force or -o)")
    assert target.read_bytes() == b"mine too\n" and (dl / "notes.txt").read_bytes() == b"mine\n"
    download(b, first, "-o", target, "--force")
    assert target.read_bytes() == b"v1\n"

    # Two files with one name: the name is ambiguous.
    src.write_bytes(b"v2\n")
    second = upload(a, b, src)["id"]
    rc, out, err = b.run("download", "notes.txt", "-o", tmp_path / "x")
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err, f"several files are named notes.txt (ids {first}, {second}): use an id")


def test_zero_byte_file(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "empty"
    src.write_bytes(b"")
    result = upload(a, b, src)
    assert (result["size"], result["sha256"], result["sent_bytes"], result["resumed_from"]) == \
        (0, EMPTY_SHA256, 0, 0), result
    out_path = tmp_path / "empty-copy"
    got = download(b, result["id"], "-o", out_path)
    assert (got["size"], got["received_bytes"], got["sha256"]) == (0, 0, EMPTY_SHA256), got
    assert out_path.exists() and out_path.read_bytes() == b""
    assert [(r["size"], r["state"]) for r in b.jsonl("files", a.id)] == [(0, "available")]


def test_corrupted_part_is_kept_aside_with_exit_7(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "src.bin"
    size = 50 * MIB
    write_random(src, size)
    file_id = upload(a, b, src)["id"]
    src.unlink()

    out_path = tmp_path / "got.bin"
    part = pathlib.Path(f"{out_path}.part")
    proc = spawn(b, "download", file_id, "-o", out_path, json=True)
    kill_when(proc, lambda: file_size(part), size // 2, "the download")
    assert file_size(part) > 1000
    with open(part, "r+b") as f:  # flip one byte in what was already downloaded
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))

    rc, out, err = b.run("download", file_id, "-o", out_path, "--resume", timeout=120)
    assert (rc, out) == (7, ""), (rc, out, err)
    assert_one_error_line(err, f"downloaded file does not match its SHA-256; kept aside as {out_path}.corrupt")
    assert not out_path.exists()
    corrupt = pathlib.Path(f"{out_path}.corrupt")
    assert corrupt.exists() and file_size(corrupt) == size
    assert not part.exists() and not pathlib.Path(f"{out_path}.part.meta").exists()
    corrupt.unlink()


def test_watch_gets_file_event_live(friends, watch_factory, tmp_path):
    a, b = friends.a, friends.b
    wb = watch_factory(b)
    a.ok("send", b.id, "a file is coming")
    wb.wait_for(lambda e: e.get("type") == "message" and e.get("text") == "a file is coming",
                what="the message")  # bob's watch is subscribed now
    src = tmp_path / "live.txt"
    src.write_bytes(b"live\n")
    result = upload(a, b, src)
    event = wb.wait_for(lambda e: e.get("type") == "file", what="the file event")
    assert set(event) == FILE_EVENT_KEYS, event
    assert (event["version"], event["id"], event["name"], event["size"], event["sha256"], event["from"],
            event["from_nick"]) == (1, result["id"], "live.txt", 5, result["sha256"], a.id, "alice"), event
    assert isinstance(event["seq"], int) and TIME_JSON.match(event["time"]), event


def test_max_file_size_is_enforced_before_storing(server_factory, tmp_path):
    srv = server_factory(extra_args=["--max-file-size", "1000"])
    (tmp_path / "small").mkdir()
    a = make_user(srv, tmp_path / "small", "alice")
    b = make_user(srv, tmp_path / "small", "bob")
    befriend(a, b)
    drain_inbox(b)
    src = tmp_path / "big.bin"
    src.write_bytes(b"x" * 1001)
    rc, out, err = a.run("upload", b.id, src)
    assert (rc, out) == (10, ""), (rc, out, err)
    assert_one_error_line(err, "file is larger than the server's limit of 1000 bytes")
    assert upload_parts(srv) == []
    assert a.ok("files", b.id) == ""
    src.write_bytes(b"x" * 1000)
    assert upload(a, b, src)["size"] == 1000


def test_files_json_is_one_object_per_line(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "one"
    src.write_bytes(b"1")
    ids = [upload(a, b, src)["id"]]
    src.write_bytes(b"22")
    ids.append(upload(b, a, src, "--name", "two")["id"])
    out = a.ok("files", b.id, json=True)
    rows = [jsonlib.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["name"], r["sender"], r["recipient"]) for r in rows] == \
        [(ids[0], "one", a.id, b.id), (ids[1], "two", b.id, a.id)], rows  # both directions, oldest first
    text = a.ok("files", b.id).splitlines()
    assert "from alice" in text[0] and "from bob" in text[1], text


def test_upload_cancel_frees_the_upload_and_the_quota(server_factory, tmp_path):
    """Issue 12 item 2: an unfinished upload could not be given up (its part file stayed 24 h),
    and one user could hold any number of them."""
    srv = server_factory(extra_args=["--max-unfinished-uploads", "1"])
    (tmp_path / "homes").mkdir()
    a = make_user(srv, tmp_path / "homes", "alice")
    b = make_user(srv, tmp_path / "homes", "bob")
    befriend(a, b)
    drain_inbox(b)
    src = tmp_path / "half.bin"
    size = 50 * MIB
    write_random(src, size)
    proc = spawn(a, "upload", b.id, src, json=True)
    kill_when(proc, lambda: largest_upload_part(srv), size // 4, "the upload")
    assert len(upload_parts(srv)) == 1

    # The quota: a second unfinished upload is refused before anything is stored.
    other = tmp_path / "other.bin"
    other.write_bytes(b"other")
    rc, out, err = a.run("upload", b.id, other)
    assert (rc, out) == (10, ""), (rc, out, err)
    assert_one_error_line(err, "you have 1 unfinished uploads, the server's limit: finish or cancel one first")

    # Cancel: the same file and recipient as a resume.
    upload_id = a.jsonl("files", b.id)[0]["id"]
    rc, out, err = a.run("upload", b.id, src, "--cancel")
    assert (rc, err) == (0, ""), (rc, out, err)
    assert out == f"cancelled upload {upload_id} of {src} to {b.id}\n", out
    assert upload_parts(srv) == []
    assert a.ok("files", b.id) == ""
    rc, out, err = a.run("upload", b.id, src, "--cancel")
    assert (rc, out) == (4, ""), (rc, out, err)
    assert_one_error_line(err, f"no unfinished upload of {src} to {b.id}")
    rc, out, err = a.run("upload", b.id, src, "--cancel", json=True)
    assert rc == 4, (rc, out, err)
    assert_json_error(out, err, "not_found", 4)

    # The slot is free again.
    assert upload(a, b, other)["size"] == 5
    src.unlink()


def test_files_pages_with_before_and_limit(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "p"
    ids = []
    for i in range(4):
        src.write_bytes(b"p" * i)
        ids.append(upload(a, b, src, "--name", f"p{i}")["id"])
    assert [r["id"] for r in a.jsonl("files", b.id)] == ids
    rc, out, err = a.run("files", b.id, "--limit", "2")
    assert rc == 0, (rc, out, err)
    assert len(out.splitlines()) == 2 and "p2" in out and "p3" in out, out
    assert err == f"(older: occhat files {b.id} --before {ids[2]})\n", err
    # --json: the page's records, then one object saying where the older page starts.
    rc, out, err = a.run("files", b.id, "--limit", "2", json=True)
    lines = [jsonlib.loads(line) for line in out.splitlines()]
    assert (rc, err) == (0, ""), (rc, out, err)
    assert [r["id"] for r in lines[:2]] == ids[2:], out
    assert lines[2] == {"more": {"before": ids[2], "command": f"occhat files {b.id} --before {ids[2]}"}}, out
    assert [r["id"] for r in a.jsonl("files", b.id, "--before", str(ids[2]), "--limit", "2")] == ids[:2]
    rc, out, err = a.run("files", b.id, "--before", str(ids[0]))
    assert (rc, out, err) == (0, "", ""), (rc, out, err)
