"""Every server-supplied string (nick, e-mail, message text, file name) reaches a terminal
escaped: control characters as \\xNN, bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE and friends)
as \\uNNNN, so "invoice\\u202efdp.exe" cannot pass for "invoiceexe.pdf". --json keeps the exact
text. (Issue 12, item 8.)

The server refuses control characters in a nick but allows bidi controls (format characters);
an e-mail may carry C1 controls such as U+009B (CSI); message texts may carry anything but NUL;
file names lose their control characters on the server but keep bidi controls."""

import json as jsonlib
import re

from conftest import TIME_TEXT, User, drain_inbox, make_user

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]

EVIL_NICK = "mal" + RLO + "txt.exe"
EVIL_NICK_SHOWN = r"mal\u202etxt.exe"
EVIL_EMAIL = "ev\u009b31mil@example.org"  # U+009B is CSI on terminals that honour C1 controls
EVIL_EMAIL_SHOWN = r"ev\x9b31mil@example.org"


def terminal_text(text):
    """What the CLI's escape_for_terminal makes of `text` (valid UTF-8 only)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append(ch)
        elif cp < 0x20 or 0x7F <= cp <= 0x9F:
            out.append(f"\\x{cp:02x}")
        elif ch in BIDI:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(ch)
    return "".join(out)


def assert_no_raw(text):
    """Nothing a terminal would act on: no ESC, no C1 control, no bidi control."""
    bad = [c for c in text if c in BIDI or (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, f"raw control/bidi characters {bad!r} in {text!r}"


def make_evil(server, tmp_path):
    home = tmp_path / "home-evil"
    user_id = server.register(home, EVIL_EMAIL, EVIL_NICK)
    return User(server, "evil", home, user_id)


def test_terminal_escape_model_matches_readme_examples():
    assert terminal_text("invoice" + RLO + "fdp.exe") == r"invoice\u202efdp.exe"
    assert terminal_text("a\x1b[31mb\nc\td") == "a\\x1b[31mb\\nc\td"


def test_find_login_whoami_escape_nick_and_email(server, tmp_path):
    evil = make_evil(server, tmp_path)
    out = evil.server.login(evil.home, evil.id)
    assert out == f"logged in as {evil.id} ({EVIL_NICK_SHOWN})\n"
    [logged_in] = evil.jsonl("login", evil.id, "--password-stdin", stdin="correct horse battery staple\n")
    assert logged_in == {"id": evil.id, "nick": EVIL_NICK, "revoked_sessions": 1}

    assert evil.ok("whoami") == f"{evil.id} {EVIL_NICK_SHOWN} <{EVIL_EMAIL_SHOWN}>\n"
    assert evil.jsonl("whoami") == [{"id": evil.id, "nick": EVIL_NICK, "email": EVIL_EMAIL, "discoverable": False}]

    assert evil.ok("find", evil.id) == f"{evil.id} {EVIL_NICK_SHOWN}\n"
    assert evil.jsonl("find", evil.id) == [{"id": evil.id, "nick": EVIL_NICK, "email": EVIL_EMAIL}]

    bob = make_user(server, tmp_path, "bob")
    assert bob.ok("find", evil.id) == f"{evil.id} {EVIL_NICK_SHOWN}\n"
    assert bob.jsonl("find", evil.id) == [{"id": evil.id, "nick": EVIL_NICK}]


def test_every_bidi_control_is_escaped_in_a_nick_on_find(server, tmp_path):
    nick = "b" + "".join(BIDI) + "z"
    home = tmp_path / "home-bidi"
    user_id = server.register(home, "bidi@example.org", nick)
    server.login(home, user_id)
    out = User(server, "bidi", home, user_id).ok("find", user_id)
    assert out == f"{user_id} b" + "".join(f"\\u{ord(c):04x}" for c in BIDI) + "z\n"
    assert_no_raw(out)


def test_inbox_history_files_friends_requests_escape_server_text(server, tmp_path):
    evil = make_evil(server, tmp_path)
    evil.login_again()
    bob = make_user(server, tmp_path, "bob")

    # A friend request: its notice names the nick, and so does `requests`.
    assert evil.ok("add", bob.id) == f"friend request sent to bob ({bob.id})\n"
    requests = bob.ok("requests")
    assert f"  {evil.id} {EVIL_NICK_SHOWN}  (since " in requests, requests
    assert_no_raw(requests)
    assert bob.ok("add", evil.id) == f"you and {EVIL_NICK_SHOWN} ({evil.id}) are now friends\n"
    notices = bob.ok("inbox")
    assert f"friend request from {EVIL_NICK_SHOWN} ({evil.id})" in notices, notices
    drain_inbox(evil)

    text = "pay invoice" + RLO + "fdp.exe \x1b[2J\u2067now\u2069\x9b31m"
    evil.ok("send", bob.id, text)
    name = "invoice" + RLO + "fdp.exe"
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"MZ not really\n")
    evil.ok("upload", bob.id, payload, "--name", name)

    out = bob.ok("inbox", "--peek")
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert re.fullmatch(rf"\[{TIME_TEXT}\] {re.escape(EVIL_NICK_SHOWN)} \({evil.id}\): "
                        + re.escape(terminal_text(text)), lines[0]), lines[0]
    assert f"sent you a file: {terminal_text(name)} (14 bytes)" in lines[1], lines[1]
    assert terminal_text(name) == r"invoice\u202efdp.exe"
    assert_no_raw(out)
    events = bob.jsonl("inbox")
    assert [e["type"] for e in events] == ["message", "file"], events
    assert (events[0]["text"], events[0]["from_nick"]) == (text, EVIL_NICK)
    assert (events[1]["name"], events[1]["from_nick"]) == (name, EVIL_NICK)

    history = bob.ok("history", evil.id)
    assert history.endswith(f"{EVIL_NICK_SHOWN} ({evil.id}): {terminal_text(text)}\n"), history
    assert_no_raw(history)
    assert bob.jsonl("history", evil.id)[-1]["text"] == text

    files = bob.ok("files", evil.id)
    assert files.startswith(f"{events[1]['id']}  {terminal_text(name)}  14 bytes  from "
                            f"{EVIL_NICK_SHOWN} ({evil.id})  "), files
    assert_no_raw(files)
    assert bob.jsonl("files", evil.id)[0]["name"] == name

    friends = bob.ok("friends")
    assert f"  {evil.id} {EVIL_NICK_SHOWN}\n" in friends, friends
    assert_no_raw(friends)

    # A name the CLI quotes in its own error message (exit 4) is escaped there too.
    rc, out, err = bob.run("download", "nothing" + RLO + "here")
    assert (rc, out) == (4, ""), (rc, out, err)
    assert err == "occhat: no file named nothing\\u202ehere\n", err


def test_watch_and_shell_escape_server_text(server, tmp_path, watch_factory):
    evil = make_evil(server, tmp_path)
    evil.login_again()
    bob = make_user(server, tmp_path, "bob")
    assert bob.ok("add", evil.id) == f"friend request sent to {EVIL_NICK_SHOWN} ({evil.id})\n"
    evil.ok("add", bob.id)
    drain_inbox(bob)
    drain_inbox(evil)

    w = watch_factory(bob, json=False)
    text = "look " + RLO + "gnp.js\x1b]0;title\x07"
    evil.ok("send", bob.id, text)
    line = w.wait_for(lambda line: f"({evil.id}): " in line, what="evil's message")
    assert line.endswith(f"{EVIL_NICK_SHOWN} ({evil.id}): {terminal_text(text)}"), line
    assert_no_raw(line)
    w.interrupt()

    # The shell without a terminal (a script): the friend list, /chat history, a pushed message.
    rc, out, err = bob.run("shell", stdin=f"/friends\n/chat {evil.id}\n/quit\n")
    assert rc == 0, (rc, out, err)
    assert f"{evil.id} {EVIL_NICK_SHOWN}" in out, out
    assert f"{EVIL_NICK_SHOWN} ({evil.id}): {terminal_text(text)}" in out, out
    assert_no_raw(out)
    assert_no_raw(err)


def test_login_error_messages_are_escaped_text_but_raw_json(tmp_path):
    """Error messages go through the same escaping (one line, nothing a terminal acts on); the
    JSON error keeps the exact text."""
    from conftest import run

    bad = "ho" + RLO + "st\x1b:1"
    rc, out, err = run(tmp_path / "home", "--server", bad, "login", "123456", "--password-stdin", stdin="pw\n")
    assert (rc, out) == (1, ""), (rc, out, err)
    assert err == "occhat: invalid server address 'ho\\u202est\\x1b:1' (expected HOST:PORT)\n", err
    rc, out, err = run(tmp_path / "home", "--server", bad, "login", "123456", "--password-stdin", stdin="pw\n",
                       json=True)
    assert (rc, err) == (1, ""), (rc, out, err)
    assert bad in jsonlib.loads(out)["error"]["message"], out
