"""scripts/import-pychat.py: a PyChat server directory (Python 2 pickles) becomes an occhat dump.

The tests build the PyChat directory themselves, as PyChat left it: user/user.pk and
user/friends.pk (one pickled dict each), msg/history.pk and msg/offline.pk (one pickled string
per record, appended), file/file_info.txt and the uploaded files. Pickles are protocol 0 over byte
strings: pickle.dumps(..., protocol=0) here, and for offline.pk the exact bytes Python 2 wrote
(S'...' records). The end-to-end test loads the dump into a real server with `occhat-server
import` and logs in with the old passwords.
"""

import base64
import ctypes
import ctypes.util
import hashlib
import json
import pathlib
import pickle
import subprocess

import pytest

from conftest import REPO, clean_env, server_binary

IMPORTER = REPO / "scripts" / "import-pychat.py"
PYTHON = "/usr/bin/python3"

ALICE, BOB, CAROL, DAVE = 234567, 345678, 456789, 567890
PASSWORDS = {ALICE: "lilei-old-pass", BOB: "hanmeimei-2014", CAROL: "xiaoming-pw!", DAVE: "debug-pass"}
NICKS = {ALICE: "李雷", BOB: "韩梅梅", CAROL: "小明"}
EMAILS = {ALICE: "lilei@example.cn", BOB: "han@example.cn", CAROL: "ming@example.cn"}
FILE_BYTES = "PyChat 的文件\n".encode() + bytes(range(256)) * 300  # 76,8xx bytes: two file_data lines
FILE_NAME = "notes 笔记.txt"


def md5_hex(password):
    return hashlib.md5(password.encode()).hexdigest()


def py2_string_pickle(text):
    """What Python 2's cPickle.dump(str) wrote (protocol 0): S'...' with escapes, memo, stop."""
    escaped = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in "'\\" else f"\\x{b:02x}"
                      for b in text.encode())
    return f"S'{escaped}'\np1\n.".encode("ascii")


def record(sender, recipient, when, text):
    return f"{sender}\t{recipient}\t{when}\t{text}"


def make_pychat_dir(root):
    """A PyChat server directory: three valid users and one PyChat allowed but occhat refuses
    (dave: email "dd"), a one-sided friendship (carol lists alice, alice does not list carol),
    self entries everywhere, history, offline messages and files (one present, one missing, one
    naming a path outside file/)."""
    (root / "user").mkdir(parents=True)
    (root / "msg").mkdir()
    (root / "file").mkdir()
    users = {uid: [EMAILS[uid].encode(), NICKS[uid].encode(), md5_hex(PASSWORDS[uid]).encode()]
             for uid in (ALICE, BOB, CAROL)}
    users[DAVE] = [b"dd", b"debug", md5_hex(PASSWORDS[DAVE]).encode()]
    (root / "user" / "user.pk").write_bytes(pickle.dumps(users, protocol=0))
    # PyChat's friends.pk is keyed by id strings and lists everyone as their own friend.
    friends = {b"234567": [b"234567", b"345678"],
               b"345678": [b"345678", b"234567", b"234567"],
               b"456789": [b"456789", b"234567", b"567890"]}
    (root / "user" / "friends.pk").write_bytes(pickle.dumps(friends, protocol=0))
    history = [
        record(ALICE, BOB, "2014-04-20 10:48:57", "你好"),
        record(BOB, ALICE, "2014-04-20 10:49:05", "你是？\t(a tab in the text)"),
        record(ALICE, ALICE, "2014-04-20 10:50:00", "a note to myself"),
        record(CAROL, ALICE, "2014-04-20 11:00:00", "hello\n"),
    ]
    (root / "msg" / "history.pk").write_bytes(b"".join(pickle.dumps(r.encode(), protocol=0) for r in history))
    offline = [
        record(ALICE, BOB, "2014-04-21 21:29:36", "不在吗"),
        record(CAROL, BOB, "2014-04-21 21:30:00", "在吗？"),
        record(BOB, 999999, "2014-04-21 21:31:00", "to nobody"),
    ]
    (root / "msg" / "offline.pk").write_bytes(b"".join(py2_string_pickle(r) for r in offline))
    (root / "file" / FILE_NAME).write_bytes(FILE_BYTES)
    (root / "file" / "file_info.txt").write_text(
        f"{ALICE}\t{BOB}\t2014-04-20 11:05:00\t{FILE_NAME}\n"
        f"{BOB}\t{ALICE}\t2014-04-20 11:06:00\tmissing.bin\n"
        f"{ALICE}\t{BOB}\t2014-04-20 11:07:00\t../user/user.pk\n", encoding="utf-8")
    return root


def run_importer(pychat_dir, env_extra=None):
    env = clean_env(pychat_dir.parent)
    env["TZ"] = "UTC"  # PyChat's times are local: read them as UTC here
    env.update(env_extra or {})
    proc = subprocess.run([PYTHON, str(IMPORTER), str(pychat_dir)], capture_output=True, env=env, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr.decode()


def utc_ms(text):
    import calendar
    import time
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")) * 1000


def records_of(out):
    lines = [json.loads(line) for line in out.decode().splitlines()]
    header, end = lines[0], lines[-1]
    assert header["format"] == "occhat-dump" and header["version"] == 1 and header["source"] == "pychat", header
    assert end == {"type": "end", "records": len(lines) - 2}, end
    by_type = {}
    for r in lines[1:-1]:
        by_type.setdefault(r["type"], []).append(r)
    return by_type


def sodium_verify(hash_text, password):
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    assert lib.sodium_init() >= 0
    secret = password.encode()
    return lib.crypto_pwhash_str_verify(hash_text.encode(), secret, ctypes.c_ulonglong(len(secret))) == 0


@pytest.fixture
def pychat_dir(tmp_path):
    return make_pychat_dir(tmp_path / "pychat-server")


def test_emits_accounts_friends_messages_offline_inbox_and_files(pychat_dir):
    rc, out, err = run_importer(pychat_dir)
    assert rc == 0, err
    dump = records_of(out)

    users = {u["id"]: u for u in dump["user"]}
    assert sorted(users) == [ALICE, BOB, CAROL]  # dave's "dd" is no email occhat accepts
    for uid, user in users.items():
        assert (user["email"], user["nick"]) == (EMAILS[uid], NICKS[uid])
        hash_text = user["password_hash"]
        assert hash_text.startswith("legacy-md5+$argon2id$"), hash_text
        assert md5_hex(PASSWORDS[uid]) not in hash_text  # never the raw MD5
        # argon2id over the MD5 hex, as the server checks it.
        assert sodium_verify(hash_text[len("legacy-md5+"):], md5_hex(PASSWORDS[uid]))
        assert not sodium_verify(hash_text[len("legacy-md5+"):], PASSWORDS[uid])

    # alice-bob listed both ways (and twice), carol-alice one way only: both mutual, no self.
    assert sorted(tuple(f["users"]) for f in dump["friendship"]) == [(ALICE, BOB), (ALICE, CAROL)]

    messages = dump["message"]
    assert [(m["id"], m["from"], m["to"], m["text"], m["time_ms"]) for m in messages] == [
        (1, ALICE, BOB, "你好", utc_ms("2014-04-20 10:48:57")),
        (2, BOB, ALICE, "你是？\t(a tab in the text)", utc_ms("2014-04-20 10:49:05")),
        (3, CAROL, ALICE, "hello\n", utc_ms("2014-04-20 11:00:00")),
        (4, ALICE, BOB, "不在吗", utc_ms("2014-04-21 21:29:36")),
        (5, CAROL, BOB, "在吗？", utc_ms("2014-04-21 21:30:00")),
    ]
    # The offline messages wait, unacknowledged, in bob's inbox.
    assert dump["inbox_state"] == [{"type": "inbox_state", "user": BOB, "last_seq": 2, "acked_seq": 0}]
    assert [(i["user"], i["seq"], i["kind"], i["message_id"], i["other_user"]) for i in dump["inbox_item"]] == [
        (BOB, 1, "message", 4, ALICE), (BOB, 2, "message", 5, CAROL)]
    # History PyChat showed is read; bob's offline messages are not.
    markers = {(m["user"], m["conversation"]): m["last_read_id"] for m in dump["read_marker"]}
    assert markers == {(ALICE, BOB): 2, (BOB, ALICE): 2, (ALICE, CAROL): 3, (CAROL, ALICE): 3}

    [file] = dump["file"]
    assert (file["from"], file["to"], file["name"], file["size"], file["sha256"], file["time_ms"]) == (
        ALICE, BOB, FILE_NAME, len(FILE_BYTES), hashlib.sha256(FILE_BYTES).hexdigest(), utc_ms("2014-04-20 11:05:00"))
    chunks = sorted(dump["file_data"], key=lambda d: d["offset"])
    assert all(d["file"] == file["id"] for d in chunks) and len(chunks) == 2
    assert b"".join(base64.b64decode(d["data"]) for d in chunks) == FILE_BYTES

    lines = err.splitlines()
    assert lines[0] == "import-pychat: 3 users, 2 friendships, 5 messages, 2 offline, 1 files, 9 skipped", err
    for expected in [
        "skipped user/user.pk: user 567890 (debug): email must be 3 to 254 bytes",
        f"skipped user/friends.pk: friend {ALICE} of {ALICE}: oneself (not a friendship)",
        f"skipped user/friends.pk: friend {CAROL} of {CAROL}: oneself (not a friendship)",
        f"skipped user/friends.pk: friend {DAVE} of {CAROL}: user {DAVE} was skipped",
        "skipped msg/history.pk: record 3: a message to oneself (occhat has none)",
        "skipped msg/offline.pk: record 3: recipient: user 999999 is not in user.pk",
        "skipped file/file_info.txt: line 2 (missing.bin): the file is missing",
        "skipped file/file_info.txt: line 3 (../user/user.pk): not a plain file name",
        "1 one-sided friend list entries made mutual",
    ]:
        assert f"import-pychat: {expected}" in lines, (expected, err)


def test_flat_layout_and_missing_optional_files(tmp_path):
    """The .pk files directly in PYCHAT_DIR also do; absent friends/history/offline/files are said."""
    root = tmp_path / "flat"
    root.mkdir()
    users = {ALICE: [EMAILS[ALICE].encode(), NICKS[ALICE].encode(), md5_hex(PASSWORDS[ALICE]).encode()]}
    (root / "user.pk").write_bytes(pickle.dumps(users, protocol=0))
    rc, out, err = run_importer(root)
    assert rc == 0, err
    dump = records_of(out)
    assert [u["id"] for u in dump["user"]] == [ALICE] and set(dump) == {"user"}
    assert err.splitlines()[0] == "import-pychat: 1 users, 0 friendships, 0 messages, 0 offline, 0 files, 0 skipped"
    assert "import-pychat: file/file_info.txt not found: no files" in err.splitlines()


@pytest.mark.parametrize("target", ["user/user.pk", "msg/offline.pk"])
def test_a_pickle_naming_a_class_is_refused_and_nothing_is_emitted(pychat_dir, tmp_path, target):
    marker = tmp_path / "the-pickle-ran"

    class Exploit:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    data = pickle.dumps(Exploit(), protocol=0)
    assert b"system" in data
    (pychat_dir / target).write_bytes(data)
    rc, out, err = run_importer(pychat_dir)
    assert rc == 1
    assert out == b""  # nothing to import: not even a header
    assert not marker.exists()
    module = "posix" if b"posix" in data else "os"
    assert err == (f"import-pychat: {target}: refused: the pickle names the class or function {module}.system "
                   "(only dicts, lists, tuples, strings and integers are accepted; nothing was imported)\n"), err


def test_not_a_pychat_directory(tmp_path):
    rc, out, err = run_importer(tmp_path)
    assert (rc, out) == (1, b"")
    assert err == f"import-pychat: {tmp_path}: no user/user.pk (is this a PyChat server directory?)\n"


# --- end to end, through occhat-server import ---------------------------------------------------

def server_can_import():
    """`occhat-server import` exists (the dump commands): its own help names --merge. Without
    them occhat-server prints its general help for `import --help`, also with exit status 0."""
    proc = subprocess.run([str(server_binary()), "import", "--help"], capture_output=True, timeout=30)
    return proc.returncode == 0 and b"--merge" in proc.stdout + proc.stderr


def test_imported_server_logs_in_with_old_passwords_and_has_friends_history_inbox(pychat_dir, tmp_path, server_factory):
    if not server_can_import():
        pytest.skip("occhat-server has no import command in this build (the dump commands)")
    rc, dump, err = run_importer(pychat_dir)
    assert rc == 0, err
    data_dir = tmp_path / "imported"
    data_dir.mkdir()
    proc = subprocess.run([str(server_binary()), "--data-dir", str(data_dir), "import"], input=dump,
                          capture_output=True, env=clean_env(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    server = server_factory(data_dir=data_dir)

    def login(uid, password, home):
        return server.run(home, "login", str(uid), "--password-stdin", stdin=password + "\n")

    def ok(home, *args):
        rc, out, err = server.run(home, *args, json=True)
        assert (rc, err) == (0, ""), (args, rc, out, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    alice_home, bob_home, carol_home = tmp_path / "alice", tmp_path / "bob", tmp_path / "carol"
    # The MD5 from PyChat's file is not the password; a wrong one is refused.
    assert login(ALICE, md5_hex(PASSWORDS[ALICE]), alice_home)[0] != 0
    assert login(ALICE, "not her password", alice_home)[0] != 0
    assert login(ALICE, PASSWORDS[ALICE], alice_home)[0] == 0
    assert login(BOB, PASSWORDS[BOB], bob_home)[0] == 0

    friends = {f["id"]: f["nick"] for f in ok(alice_home, "friends")}
    assert friends == {BOB: NICKS[BOB], CAROL: NICKS[CAROL]}  # carol's one-sided entry, mutual
    assert [(m["from"], m["text"]) for m in ok(alice_home, "history", BOB)] == [
        (ALICE, "你好"), (BOB, "你是？\t(a tab in the text)"), (ALICE, "不在吗")]
    # Bob was offline in PyChat: the two messages are delivered now, in order.
    events = [e for e in ok(bob_home, "inbox") if e["type"] == "message"]
    assert [(e["from"], e["text"]) for e in events] == [(ALICE, "不在吗"), (CAROL, "在吗？")]
    [listed] = ok(bob_home, "files", ALICE)
    assert (listed["name"], listed["size"], listed["state"]) == (FILE_NAME, len(FILE_BYTES), "available")
    target = tmp_path / "downloaded"
    ok(bob_home, "download", listed["id"], "-o", str(target))
    assert target.read_bytes() == FILE_BYTES

    # Logging in replaced the legacy hash by a normal one; carol has not logged in yet.
    assert server.stop() == 0
    proc = subprocess.run([str(server_binary()), "--data-dir", str(data_dir), "export"], capture_output=True,
                          env=clean_env(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    hashes = {r["id"]: r["password_hash"] for r in map(json.loads, proc.stdout.decode().splitlines())
              if r.get("type") == "user"}
    for uid in (ALICE, BOB):
        assert hashes[uid].startswith("$argon2id$") and sodium_verify(hashes[uid], PASSWORDS[uid]), hashes[uid]
    assert hashes[CAROL].startswith("legacy-md5+$argon2id$")
    server.start()
    assert login(ALICE, PASSWORDS[ALICE], alice_home)[0] == 0  # the upgraded hash takes the same password
    assert login(CAROL, PASSWORDS[CAROL], carol_home)[0] == 0


def test_a_message_cut_inside_a_character_is_kept_and_a_truncated_file_end_is_reported(pychat_dir):
    """PyChat cut messages at 200 bytes, sometimes inside a UTF-8 character; and a server killed
    while appending leaves half a pickle at the end of history.pk."""
    cut = record(ALICE, BOB, "2014-04-22 08:00:00", "你好").encode()[:-1]
    history = pychat_dir / "msg" / "history.pk"
    history.write_bytes(pickle.dumps(cut, protocol=0) + pickle.dumps(b"half a record", protocol=0)[:9])
    rc, out, err = run_importer(pychat_dir)
    assert rc == 0, err
    texts = [m["text"] for m in records_of(out)["message"]]
    assert texts == ["不在吗", "在吗？", "你\ufffd"]
    assert "import-pychat: msg/history.pk record 1: not valid UTF-8; its invalid bytes became U+FFFD" in err.splitlines()
    [truncated] = [line for line in err.splitlines() if line.startswith("import-pychat: skipped msg/history.pk: byte")]
    assert truncated.endswith(": the rest of the file cannot be read"), truncated
