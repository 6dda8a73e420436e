"""`occhat shell` has its own /requests, /remove and /download, and its hints name them (not
the `occhat` CLI commands)."""

import re

from conftest import TIME_TEXT
from test_shell import Shell


def test_requests_remove_and_hints_name_shell_commands(users):
    a, b, c = users.a, users.b, users.c
    shell = Shell(a)
    try:
        shell.expect("> ")
        b.ok("add", a.id)  # arrives live: the hint names /add, not occhat add
        shell.expect(re.escape(f"friend request from bob ({b.id}); accept with: /add {b.id}"))
        shell.send(f"/add {c.id}\r")
        shell.expect(re.escape(f"friend request sent to carol ({c.id})"))
        shell.send("/requests\r")
        shell.expect(rf"incoming:\r?\n  {b.id} bob  \(since {TIME_TEXT}\)\r?\n"
                     rf"outgoing:\r?\n  {c.id} carol  \(since {TIME_TEXT}\)")
        shell.send(f"/remove {c.id}\r")
        shell.expect(re.escape(f"removed {c.id}"))
        assert str(c.id) not in a.ok("requests")
        assert shell.quit() == 0
    finally:
        shell.close()


def test_file_hint_and_download(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "notes.txt"
    src.write_bytes(b"hello\n")
    into = tmp_path / "into"
    into.mkdir()
    shell = Shell(a)
    try:
        shell.expect("> ")
        [sent] = b.jsonl("upload", a.id, src)
        shell.expect(re.escape(f"sent you a file: notes.txt (6 bytes); get it with: /download {sent['id']}"))
        shell.send(f"/download {sent['id']} {into}\r")
        shell.expect(re.escape(f"downloaded notes.txt to {into}/notes.txt (6 bytes)"))
        assert (into / "notes.txt").read_bytes() == b"hello\n"
        assert shell.quit() == 0
    finally:
        shell.close()


def test_upload_and_files_in_the_open_chat(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "report.txt"
    src.write_bytes(b"report\n")
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send("/files\r")
        shell.expect(re.escape("occhat: not in a chat: use /chat ID or /chat ROOM first"))
        shell.send(f"/chat {b.id}\r")
        shell.expect(re.escape("[bob]> "))
        shell.send(f"/upload {src}\r")
        match = shell.expect(r"uploaded report\.txt as file (\d+) \(7 bytes\)")
        file_id = int(match.group(1))
        shell.send("/files\r")
        shell.expect(rf"{file_id}  report\.txt  7 bytes  from alice \({a.id}\)")
        assert shell.quit() == 0
    finally:
        shell.close()
    assert [f["id"] for f in b.jsonl("files", a.id)] == [file_id]


def test_history_pages_back_with_the_shell_command_it_hints(friends):
    a, b = friends.a, friends.b
    ids = [b.jsonl("send", a.id, f"old {i}")[0]["id"] for i in range(5)]
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send(f"/chat {b.id}\r")
        shell.expect(re.escape("[bob]> "))
        shell.send("/history 2\r")
        shell.expect(r"bob \(\d+\): old 3")
        shell.expect(r"bob \(\d+\): old 4")
        # The hint is a shell command, not `occhat history`: typing it shows the page before.
        shell.expect(re.escape(f"(older: /history 2 --before {ids[3]})"))
        shell.send(f"/history 2 --before {ids[3]}\r")
        shell.expect(r"bob \(\d+\): old 1")
        shell.expect(r"bob \(\d+\): old 2")
        shell.expect(re.escape(f"(older: /history 2 --before {ids[1]})"))
        shell.send("/history 2 --after 3\r")
        shell.expect(re.escape("usage: /history [N] [--before ID]"))
        assert shell.quit() == 0
    finally:
        shell.close()
    assert "occhat history" not in shell.raw
