#!/usr/bin/python3
"""Converts a PyChat server's data directory into an occhat dump (README: "Coming from PyChat").

    scripts/import-pychat.py PYCHAT_DIR > pychat.jsonl
    occhat-server --data-dir DIR import < pychat.jsonl

PYCHAT_DIR is the PyChat server's base directory: user/user.pk, user/friends.pk,
msg/history.pk, msg/offline.pk and file/file_info.txt with the uploaded files next to it (each .pk
file is also looked for directly in PYCHAT_DIR). Writes the occhat dump format (version 1, JSON
lines) on stdout and a report on stderr: counts, then every record skipped with the reason.

PyChat pickled its data (Python 2, protocol 0). Pickles can run code when loaded, so they are read
by SafeUnpickler, which builds dicts, lists, tuples, strings, bytes and integers only and refuses a
pickle naming any class or function. A refused or unreadable user.pk, or any refused pickle, stops
the import before anything is written: stdout stays empty.

Passwords: PyChat kept the unsalted MD5 hex of each password. The dump gets
"legacy-md5+" + argon2id(MD5 hex) instead (libsodium through ctypes, the same crypto_pwhash_str
the server uses), never the MD5 itself; occhat-server accepts the old password and replaces the
hash by a normal one at the first login.

Times: PyChat wrote local time without a zone; they are read in this process's time zone (set TZ,
e.g. TZ=Asia/Shanghai, to the zone the PyChat server ran in).

Exit codes: 0 done (skipped records are in the report), 1 the data cannot be used (no user.pk,
an unreadable file, a refused pickle) or libsodium is missing, 2 usage.

Standard library only, for Debian's /usr/bin/python3.
"""

import argparse
import base64
import ctypes
import ctypes.util
import hashlib
import io
import json
import os
import pickle
import re
import stat
import sys
import time

LEGACY_MD5_MARKER = "legacy-md5+"  # server/src/credentials.hpp kLegacyMd5Marker
FILE_DATA_CHUNK = 48 * 1024  # bytes per file_data line, as occhat-server export writes them

# occhat's own limits (proto/include/occhat/proto/limits.hpp, server/src/validation.cpp): a record
# the server would refuse is skipped here, with the rule it breaks.
MIN_EMAIL_BYTES = 3
MAX_EMAIL_BYTES = 254
MAX_NICK_CHARS = 32
MAX_TEXT_BYTES = 8192
MAX_FILE_NAME_BYTES = 255


class ImportError_(Exception):
    """The data cannot be imported at all: one line on stderr, exit 1, nothing on stdout."""


class UnsafePickle(ImportError_):
    pass


# --- reading pickles safely ---------------------------------------------------------------------

def _latin1_bytes(text, encoding):
    """Stands in for _codecs.encode, which is how Python 3 pickles bytes at protocols 0-2
    (`_codecs.encode(text, "latin1")`). Accepts only that exact use."""
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode used for something other than bytes")
    return text.encode("latin-1")


class SafeUnpickler(pickle.Unpickler):
    """Builds dicts, lists, tuples, str, bytes and int only. find_class, the one way a pickle reaches
    code (GLOBAL, STACK_GLOBAL, INST, OBJ, extension codes), refuses every name: the only stand-in
    is our own _latin1_bytes for the _codecs.encode of Python 3 pickles of bytes."""

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        raise UnsafePickle(f"names the class or function {module}.{name}")

    def persistent_load(self, pid):
        raise UnsafePickle(f"uses a persistent id ({shown(pid)})")


ALLOWED_TYPES = (dict, list, tuple, str, bytes, int)


def _check_plain(value, seen):
    """Raises UnsafePickle if anything but the allowed types (sets, floats, None, bools and
    objects are all refused) is inside `value`."""
    if type(value) not in ALLOWED_TYPES:
        raise UnsafePickle(f"holds a value of type {type(value).__name__}")
    if isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            return
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(value, dict):
                _check_plain(key, seen)
            _check_plain(item, seen)


def load_pickles(path, display):
    """Every pickle in the file at `path`, in order (PyChat appended one pickle per record to
    history.pk and offline.pk). Returns (objects, problem): problem says where reading stopped if
    the file ends in a truncated or corrupt record. A refused pickle raises ImportError_."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImportError_(f"cannot read {display}: {e.strerror}") from None
    stream = io.BytesIO(data)
    objects = []
    end = len(data.rstrip())  # trailing blank lines (an editor's) end the file too
    while stream.tell() < end:
        start = stream.tell()
        try:
            # encoding='bytes': Python 2 str (the S opcode) becomes bytes, decoded as UTF-8 later.
            value = SafeUnpickler(stream, encoding="bytes").load()
            _check_plain(value, set())
        except UnsafePickle as e:
            raise UnsafePickle(f"{display}: refused: the pickle {e} (only dicts, lists, tuples, "
                               "strings and integers are accepted; nothing was imported)") from None
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError,
                AttributeError, UnicodeDecodeError, OverflowError, RecursionError, MemoryError) as e:
            return objects, f"byte {start}: not a readable pickle ({type(e).__name__}: {e})"
        objects.append(value)
    return objects, None


# --- decoding PyChat values ---------------------------------------------------------------------

def text_of(value):
    """A PyChat string (bytes from Python 2, or str) as text; None if it is not UTF-8 or no string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def user_id_of(value):
    """PyChat ids are 6-digit numbers, stored as ints (user.pk) or digit strings (friends.pk)."""
    if type(value) is int:
        number = value
    else:
        text = text_of(value)
        if text is None or not re.fullmatch(r"[0-9]{6}", text.strip()):
            return None
        number = int(text.strip())
    return number if 100000 <= number <= 999999 else None


def shown(value, limit=60):
    """A value for the report: printable, short."""
    text = text_of(value)
    if text is None:
        text = repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[:limit] + "..."


def is_control(ch):
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def email_problem(email):
    raw = email.encode("utf-8")
    if not MIN_EMAIL_BYTES <= len(raw) <= MAX_EMAIL_BYTES:
        return f"email must be {MIN_EMAIL_BYTES} to {MAX_EMAIL_BYTES} bytes"
    if email.count("@") != 1:
        return "email must contain exactly one '@'"
    if email.startswith("@") or email.endswith("@"):
        return "email needs text before and after the '@'"
    if any(b <= 0x20 or b == 0x7F for b in raw):
        return "email must not contain whitespace or control characters"
    return None


def nick_problem(nick):
    if not nick:
        return "nick must not be empty"
    if any(is_control(ch) for ch in nick):
        return "nick must not contain control characters"
    if len(nick) > MAX_NICK_CHARS:
        return f"nick must be at most {MAX_NICK_CHARS} characters"
    return None


def text_problem(text):
    if not text:
        return "empty text"
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        return f"text longer than {MAX_TEXT_BYTES} bytes"
    if "\0" in text:
        return "text contains NUL characters"
    return None


def parse_time_ms(text):
    """PyChat's '%Y-%m-%d %H:%M:%S' local time as Unix milliseconds, or None."""
    try:
        return int(time.mktime(time.strptime(text.strip(), "%Y-%m-%d %H:%M:%S"))) * 1000
    except (ValueError, OverflowError):
        return None


# --- password hashes ----------------------------------------------------------------------------

class Argon2:
    """crypto_pwhash_str from libsodium (the library occhat-server links), with the server's
    INTERACTIVE limits."""

    def __init__(self):
        name = ctypes.util.find_library("sodium")
        try:
            self.lib = ctypes.CDLL(name or "libsodium.so.23")
        except OSError:
            raise ImportError_("libsodium is not installed (Debian: libsodium23); it hashes the passwords") from None
        if self.lib.sodium_init() < 0:
            raise ImportError_("libsodium failed to initialise")
        self.lib.crypto_pwhash_opslimit_interactive.restype = ctypes.c_ulonglong
        self.lib.crypto_pwhash_memlimit_interactive.restype = ctypes.c_size_t
        self.lib.crypto_pwhash_strbytes.restype = ctypes.c_size_t
        self.lib.crypto_pwhash_str.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                               ctypes.c_ulonglong, ctypes.c_size_t]
        self.ops = self.lib.crypto_pwhash_opslimit_interactive()
        self.mem = self.lib.crypto_pwhash_memlimit_interactive()
        self.size = self.lib.crypto_pwhash_strbytes()

    def legacy_hash(self, md5_hex):
        out = ctypes.create_string_buffer(self.size)
        secret = md5_hex.encode("ascii")
        if self.lib.crypto_pwhash_str(out, secret, len(secret), self.ops, self.mem) != 0:
            raise ImportError_("cannot hash a password (out of memory)")
        return LEGACY_MD5_MARKER + out.value.decode("ascii")


# --- the import ---------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.skipped = []
        self.notes = []

    def skip(self, where, what, reason):
        self.skipped.append(f"skipped {where}: {what}: {reason}")

    def note(self, text):
        self.notes.append(text)


def find_data_file(base, subdir, name):
    """PyChat keeps user/*.pk, msg/*.pk and file/: each .pk also looked for in `base` itself."""
    for candidate in (os.path.join(base, subdir, name), os.path.join(base, name)):
        if os.path.isfile(candidate):
            return candidate, os.path.relpath(candidate, base)
    return None, os.path.join(subdir, name)


class PyChatData:
    """The PyChat directory read into plain records, validated against occhat's rules."""

    def __init__(self, base, report):
        self.base = base
        self.report = report
        self.users = {}  # id -> dict(email, nick, md5)
        self.skipped_users = set()  # ids in user.pk that were skipped
        self.friend_pairs = set()  # (low, high)
        self.messages = []  # dicts: from, to, text, time_ms, offline
        self.files = []  # dicts: from, to, name, path, size, sha256, time_ms

    def unknown(self, uid, raw):
        """Why a user id from a friend list, message or file is not imported."""
        if uid is None:
            return f"{shown(raw)} is not a 6-digit user id"
        if uid in self.skipped_users:
            return f"user {uid} was skipped"
        return f"user {uid} is not in user.pk"

    def read(self):
        self.read_users()
        self.read_friends()
        self.read_messages("history.pk", offline=False)
        self.read_messages("offline.pk", offline=True)
        self.read_files()

    def read_users(self):
        path, display = find_data_file(self.base, "user", "user.pk")
        if path is None:
            raise ImportError_(f"{self.base}: no user/user.pk (is this a PyChat server directory?)")
        objects, problem = load_pickles(path, display)
        if problem or len(objects) != 1 or not isinstance(objects[0], dict):
            raise ImportError_(f"{display}: not a PyChat user file ({problem or 'expected one pickled dict'})")
        for key, value in objects[0].items():
            uid = user_id_of(key)
            if uid is None:
                self.report.skip(display, f"user {shown(key)}", "the id is not a 6-digit number")
                continue
            if uid in self.users:
                self.report.skip(display, f"user {uid}", "listed twice (kept the first)")
                continue
            if not isinstance(value, (list, tuple)) or len(value) < 3:
                self.report.skip(display, f"user {uid}", "not [email, nickname, password MD5]")
                self.skipped_users.add(uid)
                continue
            email, nick, md5 = (text_of(v) for v in value[:3])
            if email is None or nick is None or md5 is None:
                self.report.skip(display, f"user {uid}", "email, nickname or password is not UTF-8 text")
                self.skipped_users.add(uid)
                continue
            email = email.strip()
            problem = email_problem(email) or nick_problem(nick)
            if not problem and not re.fullmatch(r"[0-9a-fA-F]{32}", md5.strip()):
                problem = "the password is not an MD5 hex digest"
            if problem:
                self.report.skip(display, f"user {uid} ({shown(nick)})", problem)
                self.skipped_users.add(uid)
                continue
            self.users[uid] = {"email": email, "nick": nick, "md5": md5.strip().lower()}

    def read_friends(self):
        path, display = find_data_file(self.base, "user", "friends.pk")
        if path is None:
            self.report.note(f"{display} not found: no friendships")
            return
        objects, problem = load_pickles(path, display)
        if problem or len(objects) != 1 or not isinstance(objects[0], dict):
            raise ImportError_(f"{display}: not a PyChat friends file ({problem or 'expected one pickled dict'})")
        listed = set()  # (who, friend) as PyChat listed them
        for key, friends in objects[0].items():
            uid = user_id_of(key)
            if uid is None or uid not in self.users:
                self.report.skip(display, f"friend list of {shown(key)}", self.unknown(uid, key))
                continue
            if not isinstance(friends, (list, tuple)):
                self.report.skip(display, f"friend list of {uid}", "not a list")
                continue
            for entry in friends:
                fid = user_id_of(entry)
                if fid == uid:
                    # PyChat made everyone their own friend at sign-up; occhat has no such thing.
                    self.report.skip(display, f"friend {uid} of {uid}", "oneself (not a friendship)")
                    continue
                if fid is None or fid not in self.users:
                    self.report.skip(display, f"friend {shown(entry)} of {uid}", self.unknown(fid, entry))
                    continue
                listed.add((uid, fid))
                self.friend_pairs.add((min(uid, fid), max(uid, fid)))
        one_sided = sum(1 for (a, b) in listed if (b, a) not in listed)
        if one_sided:
            self.report.note(f"{one_sided} one-sided friend list entries made mutual")

    def read_messages(self, name, offline):
        path, display = find_data_file(self.base, "msg", name)
        if path is None:
            self.report.note(f"{display} not found: no {'offline' if offline else 'history'} messages")
            return
        objects, problem = load_pickles(path, display)
        if problem:
            self.report.skip(display, problem, "the rest of the file cannot be read")
        for index, record in enumerate(objects, 1):
            what = f"record {index}"
            text = text_of(record)
            if text is None and isinstance(record, bytes):
                # PyChat cut messages at 200 bytes, sometimes inside a character: keep the message,
                # with U+FFFD for the bytes that are not UTF-8.
                text = record.decode("utf-8", errors="replace")
                self.report.note(f"{display} {what}: not valid UTF-8; its invalid bytes became U+FFFD")
            if text is None:
                self.report.skip(display, what, "not a text record")
                continue
            fields = text.split("\t", 3)  # the message itself may contain tabs
            if len(fields) != 4:
                self.report.skip(display, what, "not 'sender<TAB>recipient<TAB>time<TAB>text'")
                continue
            sender, recipient = user_id_of(fields[0]), user_id_of(fields[1])
            time_ms = parse_time_ms(fields[2])
            problem = None
            if sender is None or sender not in self.users:
                problem = "sender: " + self.unknown(sender, fields[0])
            elif recipient is None or recipient not in self.users:
                problem = "recipient: " + self.unknown(recipient, fields[1])
            elif sender == recipient:
                problem = "a message to oneself (occhat has none)"
            elif time_ms is None:
                problem = f"time {shown(fields[2])} is not YYYY-MM-DD HH:MM:SS"
            else:
                problem = text_problem(fields[3])
            if problem:
                self.report.skip(display, what, problem)
                continue
            self.messages.append({"from": sender, "to": recipient, "text": fields[3], "time_ms": time_ms,
                                  "offline": offline})

    def read_files(self):
        file_dir = os.path.join(self.base, "file")
        info = os.path.join(file_dir, "file_info.txt")
        display = "file/file_info.txt"
        if not os.path.isfile(info):
            self.report.note(f"{display} not found: no files")
            return
        try:
            with open(info, "rb") as f:
                lines = f.read().split(b"\n")
        except OSError as e:
            raise ImportError_(f"cannot read {display}: {e.strerror}") from None
        seen = {}
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            what = f"line {number}"
            line = text_of(raw.rstrip(b"\r"))
            fields = line.split("\t", 3) if line is not None else []
            if len(fields) != 4:
                self.report.skip(display, what, "not 'sender<TAB>recipient<TAB>time<TAB>file name' in UTF-8")
                continue
            sender, recipient = user_id_of(fields[0]), user_id_of(fields[1])
            time_ms = parse_time_ms(fields[2])
            name = fields[3].rstrip("\0")  # PyChat's fixed-size fields were NUL-padded
            what = f"line {number} ({shown(name)})"
            problem = None
            if sender is None or sender not in self.users:
                problem = "sender: " + self.unknown(sender, fields[0])
            elif recipient is None or recipient not in self.users:
                problem = "recipient: " + self.unknown(recipient, fields[1])
            elif sender == recipient:
                problem = "a file to oneself (occhat has none)"
            elif time_ms is None:
                problem = f"time {shown(fields[2])} is not YYYY-MM-DD HH:MM:SS"
            elif (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name
                  or name == "file_info.txt"):
                # Only names of files inside file/ itself: never a path elsewhere.
                problem = "not a plain file name"
            elif len(name.encode("utf-8")) > MAX_FILE_NAME_BYTES or any(is_control(ch) for ch in name):
                problem = f"file name longer than {MAX_FILE_NAME_BYTES} bytes or with control characters"
            elif (sender, recipient, name) in seen:
                problem = f"the same file again (line {seen[(sender, recipient, name)]} is imported)"
            if problem:
                self.report.skip(display, what, problem)
                continue
            path = os.path.join(file_dir, name)
            try:
                info_stat = os.lstat(path)
            except FileNotFoundError:
                self.report.skip(display, what, "the file is missing")
                continue
            except OSError as e:
                self.report.skip(display, what, f"cannot read the file: {e.strerror}")
                continue
            if not stat.S_ISREG(info_stat.st_mode):
                self.report.skip(display, what, "not a regular file (symbolic links are not followed)")
                continue
            try:
                size, sha256 = digest_of(path)
            except OSError as e:
                self.report.skip(display, what, f"cannot read the file: {e.strerror}")
                continue
            seen[(sender, recipient, name)] = number
            self.files.append({"from": sender, "to": recipient, "name": name, "path": path, "size": size,
                               "sha256": sha256, "time_ms": time_ms})


def digest_of(path):
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class FileBytes:
    """Stands for the file_data lines of one file: read from disk only as they are written."""

    def __init__(self, file_id, entry):
        self.file_id = file_id
        self.entry = entry

    def line_count(self):
        return -(-self.entry["size"] // FILE_DATA_CHUNK)

    def records(self):
        offset = 0
        with open(self.entry["path"], "rb") as f:
            while offset < self.entry["size"]:
                chunk = f.read(min(FILE_DATA_CHUNK, self.entry["size"] - offset))
                if not chunk:
                    break
                yield {"type": "file_data", "file": self.file_id, "offset": offset,
                       "data": base64.b64encode(chunk).decode("ascii")}
                offset += len(chunk)
        if offset != self.entry["size"]:
            raise OSError(f"file/{self.entry['name']} shrank while it was imported")


def build_dump(data, argon2, now_ms):
    """The dump's records (dicts, and FileBytes for file bytes) in the order export writes them,
    and the counts for the report."""
    counts = {"users": 0, "friendships": 0, "messages": 0, "offline": 0, "files": 0}
    records = []
    # Messages get ids in time order; equal times keep the files' order (history, then offline).
    messages = sorted(data.messages, key=lambda m: m["time_ms"])
    files = sorted(data.files, key=lambda f: f["time_ms"])
    first_seen = {}
    for item in messages + files:
        for uid in (item["from"], item["to"]):
            first_seen[uid] = min(first_seen.get(uid, item["time_ms"]), item["time_ms"])

    for uid in sorted(data.users):
        user = data.users[uid]
        counts["users"] += 1
        # PyChat kept no sign-up time: the user's first message or file, else now.
        records.append({"type": "user", "id": uid, "email": user["email"], "nick": user["nick"],
                        "password_hash": argon2.legacy_hash(user["md5"]),
                        "created_at": first_seen.get(uid, now_ms) // 1000})
    for low, high in sorted(data.friend_pairs):
        counts["friendships"] += 1
        since = max(first_seen.get(low, now_ms), first_seen.get(high, now_ms))
        records.append({"type": "friendship", "users": [low, high], "created_ms": since})

    inbox = {}  # recipient -> [offline message]
    first_unread = {}  # (reader, other) -> id of the first offline message from other to reader
    for message_id, message in enumerate(messages, 1):
        message["id"] = message_id
        counts["messages"] += 1
        records.append({"type": "message", "id": message_id, "from": message["from"], "to": message["to"],
                        "text": message["text"], "time_ms": message["time_ms"]})
        if message["offline"]:
            counts["offline"] += 1
            inbox.setdefault(message["to"], []).append(message)
            first_unread.setdefault((message["to"], message["from"]), message_id)

    for file_id, entry in enumerate(files, 1):
        counts["files"] += 1
        records.append({"type": "file", "id": file_id, "from": entry["from"], "to": entry["to"],
                        "name": entry["name"], "size": entry["size"], "sha256": entry["sha256"],
                        "time_ms": entry["time_ms"]})
        records.append(FileBytes(file_id, entry))

    # PyChat's offline messages were never delivered: unacknowledged inbox items, delivered when
    # the recipient first connects to occhat.
    for user_id in sorted(inbox):
        items = inbox[user_id]
        records.append({"type": "inbox_state", "user": user_id, "last_seq": len(items), "acked_seq": 0})
        for seq, message in enumerate(items, 1):
            records.append({"type": "inbox_item", "user": user_id, "seq": seq, "kind": "message",
                            "time_ms": message["time_ms"], "message_id": message["id"],
                            "other_user": message["from"]})

    # PyChat showed its history, so it counts as read, up to the first offline message (unread).
    markers = {}
    for message in messages:
        if message["offline"]:
            continue
        for reader, other in ((message["to"], message["from"]), (message["from"], message["to"])):
            limit = first_unread.get((reader, other))
            if limit is None or message["id"] < limit:
                markers[(reader, other)] = max(markers.get((reader, other), 0), message["id"])
    for (reader, other), last_read in sorted(markers.items()):
        records.append({"type": "read_marker", "user": reader, "conversation": other, "last_read_id": last_read})
    return records, counts


def dumps(record):
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_dump(records, now_ms, out):
    """Header, records, end. File bytes are read as they are written: if a file cannot be read
    then, the dump stops without its end record, which occhat-server import refuses."""
    total = sum(r.line_count() if isinstance(r, FileBytes) else 1 for r in records)
    out.write(dumps({"format": "occhat-dump", "version": 1, "exported_at_ms": now_ms, "source": "pychat"}) + "\n")
    for record in records:
        if isinstance(record, FileBytes):
            for line in record.records():
                out.write(dumps(line) + "\n")
        else:
            out.write(dumps(record) + "\n")
    out.write(dumps({"type": "end", "records": total}) + "\n")
    out.flush()


def print_report(report, counts, out):
    print("import-pychat: " + ", ".join(f"{counts[k]} {k}" for k in
                                        ("users", "friendships", "messages", "offline", "files"))
          + f", {len(report.skipped)} skipped", file=out)
    for line in report.notes + report.skipped:
        print(f"import-pychat: {line}", file=out)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="import-pychat.py",
        description="Converts a PyChat server directory (user/user.pk, user/friends.pk, msg/history.pk, "
                    "msg/offline.pk, file/file_info.txt) into an occhat dump on stdout, for "
                    "`occhat-server import`. Counts and every skipped record go to stderr.")
    parser.add_argument("pychat_dir", metavar="PYCHAT_DIR", help="the PyChat server's base directory")
    args = parser.parse_args(argv)

    report = Report()
    try:
        if not os.path.isdir(args.pychat_dir):
            raise ImportError_(f"{args.pychat_dir}: not a directory")
        data = PyChatData(args.pychat_dir, report)
        data.read()
        now_ms = int(time.time() * 1000)
        # Everything but the file bytes is built before the first byte goes out: a refused or
        # unreadable input leaves stdout empty.
        records, counts = build_dump(data, Argon2(), now_ms)
    except ImportError_ as e:
        print(f"import-pychat: {e}", file=sys.stderr)
        return 1
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        write_dump(records, now_ms, out)
    except OSError as e:
        print(f"import-pychat: the dump is incomplete: {e}", file=sys.stderr)
        return 1
    print_report(report, counts, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
