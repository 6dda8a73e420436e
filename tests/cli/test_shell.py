"""`occhat shell` in a pseudo-terminal (pexpect, fixed window size): the friend list, /chat,
sending typed lines, and incoming events printed above a half-typed line without garbling it."""

import re
import time

import pexpect

from conftest import TIME_TEXT, clean_env, cli_binary, eventually

TIMEOUT = 20
ROWS, COLS = 40, 200
CSI = re.compile(r"\x1b\[([0-9;?]*)([@-~])")


def render(raw):
    """A tiny terminal model, enough for readline on one wide line: printable characters,
    CR, LF, BS, CSI K (erase to end of line), CSI C/D (cursor right/left); every other escape
    sequence is ignored. Returns the screen's lines (without trailing blanks)."""
    lines, row, col, i = [[]], 0, 0, 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\x1b":
            m = CSI.match(raw, i)
            if m:
                n = int(m.group(1)) if m.group(1).isdigit() else 1
                if m.group(2) == "K":
                    del lines[row][col:]
                elif m.group(2) == "C":
                    col += n
                elif m.group(2) == "D":
                    col = max(0, col - n)
                i = m.end()
                continue
            if raw.startswith("\x1b]", i):  # OSC ... BEL
                end = raw.find("\x07", i)
                i = len(raw) if end < 0 else end + 1
                continue
            i += 2
            continue
        if ch == "\r":
            col = 0
        elif ch == "\n":
            row += 1
            if row == len(lines):
                lines.append([])
            col = 0
        elif ch == "\b":
            col = max(0, col - 1)
        elif ch >= " " and ch != "\x7f":
            line = lines[row]
            line.extend(" " * (col - len(line)))
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
        i += 1
    return ["".join(line).rstrip() for line in lines]


class Shell:
    def __init__(self, user, server=None):
        """server: the --server value (default: the user's server's address)."""
        env = clean_env(user.home)
        env["TERM"] = "xterm"
        self.user = user
        self.child = pexpect.spawn(str(cli_binary()),
                                   ["--server", server or user.server.address, "--home", str(user.home), "shell"],
                                   env=env, timeout=TIMEOUT, encoding="utf-8", dimensions=(ROWS, COLS))
        self.raw = ""  # everything read so far

    def expect(self, pattern, timeout=TIMEOUT):
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            seen = self.raw + (self.child.before or "")
            raise AssertionError(f"shell never printed {pattern!r}; screen so far:\n"
                                 + "\n".join(render(seen)[-30:])) from e
        self.raw += self.child.before + self.child.after
        return self.child.match

    def screen(self, settle=0.3):
        """The rendered screen after `settle` s without matching anything (what was read in
        that time stays in pexpect's buffer for the next expect)."""
        self.child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=settle)
        return render(self.raw + (self.child.before or ""))

    def send(self, text):
        self.child.send(text)

    def quit(self, how="/quit\r"):
        self.child.send(how)
        try:
            self.child.expect(pexpect.EOF, timeout=10)
        except pexpect.TIMEOUT:
            self.child.terminate(force=True)
            raise AssertionError("shell did not exit; screen:\n" + "\n".join(render(self.raw)[-30:]))
        self.raw += self.child.before
        self.child.close()
        return self.child.exitstatus

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)


def nl():
    return r"\r?\n"


def inbox_texts(user):
    return [e["text"] for e in user.jsonl("inbox") if e["type"] == "message"]


def wait_inbox(user, text):
    """Polls user's inbox until `text` arrived; returns every text seen."""
    seen = []
    eventually(lambda: seen.extend(inbox_texts(user)) or seen, lambda s: text in s)
    assert text in seen, seen
    return seen


def test_shell_chat_with_a_half_typed_line(friends):
    a, b = friends.a, friends.b
    [earlier] = b.jsonl("send", a.id, "an earlier message")
    shell = Shell(a)
    try:
        shell.expect(re.escape(f"occhat shell — logged in as alice ({a.id}). /help for commands."))
        shell.expect(rf"online:{nl()}  \(none\){nl()}offline:{nl()}  {b.id} bob  \(1 unread\){nl()}")
        shell.expect("> ")

        shell.send(f"/chat {b.id}\r")
        # The last 20 messages of history, in the history format.
        shell.expect(rf"#{earlier['id']} \[{TIME_TEXT}\] bob \({b.id}\): an earlier message")
        shell.expect(re.escape("[bob]> "))

        shell.send("hello from the shell\r")
        assert wait_inbox(b, "hello from the shell") == ["hello from the shell"]

        # Half a line typed, then bob's message arrives.
        shell.send("half typ")
        shell.expect("half typ")
        time.sleep(0.3)
        b.ok("send", a.id, "incoming while typing")
        shell.expect(rf"\[{TIME_TEXT}\] bob \({b.id}\): incoming while typing")
        shell.expect(r"half typ")  # the line is redrawn after the event
        screen = shell.screen()
        event_lines = [line for line in screen if "incoming while typing" in line]
        assert len(event_lines) == 1 and re.fullmatch(
            rf"\[{TIME_TEXT}\] bob \({b.id}\): incoming while typing", event_lines[0]), screen[-10:]
        assert screen[-1] == "[bob]> half typ", screen[-10:]

        # Finish the line: it is sent whole.
        shell.send("ed line\r")
        assert wait_inbox(b, "half typed line") == ["half typed line"]
        assert shell.quit() == 0
    finally:
        shell.close()
    # Events printed by the shell are acknowledged (same cursor as inbox/watch).
    assert a.ok("inbox") == ""
    assert "/chat" in (a.home / "shell_history").read_text()


def test_shell_commands(friends, watch_factory):
    a, b, c = friends.a, friends.b, friends.c
    shell = Shell(a)
    try:
        shell.expect(rf"offline:{nl()}  {b.id} bob")
        shell.expect("> ")
        shell.send("just text\r")
        shell.expect("not in a chat: use /chat ID")
        start = len(shell.raw)
        shell.send("/help\r")
        shell.send("again\r")  # a sentinel: everything /help printed comes before its answer
        shell.expect("not in a chat: use /chat ID")
        help_text = shell.raw[start:]
        for command in ("/friends", "/chat", "/add", "/history", "/inbox", "/help", "/quit"):
            assert command in help_text, help_text

        # Presence updates the list live.
        wb = watch_factory(b)
        shell.expect(rf"bob \({b.id}\) is online")
        shell.send("/friends\r")
        shell.expect(rf"online:{nl()}  {b.id} bob{nl()}offline:{nl()}  \(none\)")

        # /add sends a request; carol's incoming request shows up live.
        shell.send(f"/add {c.id}\r")
        shell.expect(re.escape(f"friend request sent to carol ({c.id})"))
        c.ok("add", a.id)
        shell.expect(rf"carol \({c.id}\) accepted your friend request")

        # Tab completion of commands, then of friend ids.
        shell.send("/fri\t")
        shell.expect("/friends")
        shell.send("\x15")  # Ctrl-U: clear the line
        shell.send(f"/chat {str(b.id)[:-1]}\t")
        shell.expect(str(b.id))
        shell.send("\r")
        shell.expect(re.escape("[bob]> "))

        for i in range(3):
            shell.send(f"line {i}\r")
        # bob's watch is running (and acknowledging), so look there rather than in his inbox.
        wb.wait_for(lambda e: e.get("type") == "message" and e["text"] == "line 2")
        assert [e["text"] for e in wb.seen if e.get("type") == "message"] == ["line 0", "line 1", "line 2"]
        shell.send("/history 2\r")
        shell.expect(rf"\] alice \({a.id}\): line 1")
        shell.expect(rf"\] alice \({a.id}\): line 2")

        b.ok("send", a.id, "for /inbox")  # printed live, or by /inbox: either way once
        shell.send("/inbox\r")
        shell.expect("for /inbox")
        time.sleep(0.5)
        assert wb.interrupt() == 0
        shell.expect(rf"bob \({b.id}\) is offline")
        assert shell.quit("\x04") == 0  # Ctrl-D
    finally:
        shell.close()
    assert sum("for /inbox" in line for line in render(shell.raw)) == 1, render(shell.raw)


def test_shell_quit_and_history_file(friends):
    a = friends.a
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send("/friends\r")
        shell.expect("offline:")
        assert shell.quit() == 0
    finally:
        shell.close()
    assert "/friends" in (a.home / "shell_history").read_text()
    # The history is read back at start: Up recalls the last line.
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send("\x1b[A")
        shell.expect("/quit|/friends")
        assert shell.quit("\x15/quit\r") == 0
    finally:
        shell.close()


def test_shell_history_file_keeps_commands_never_chat_text(friends):
    a, b = friends.a, friends.b
    history = a.home / "shell_history"
    # A file from an older shell, which saved chat lines too: they are dropped at start.
    history.write_text("/friends\nan old private line\n")
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send(f"/chat {b.id}\r")
        shell.expect(r"\[bob\]> ")
        shell.send("a private line\r")
        shell.send("//a private line that starts with a slash\r")
        assert wait_inbox(b, "/a private line that starts with a slash") == [
            "a private line", "/a private line that starts with a slash"]
        # Up still recalls this session's chat lines (from memory).
        shell.send("\x1b[A")
        shell.expect("//a private line that starts with a slash")
        assert shell.quit("\x15/quit\r") == 0
    finally:
        shell.close()
    text = history.read_text()
    assert "private" not in text, text
    assert text.splitlines() == ["/friends", f"/chat {b.id}", "/quit"], text


def test_shell_needs_a_session(server, home, tmp_path):
    env = clean_env(tmp_path)
    child = pexpect.spawn(str(cli_binary()), ["--server", server.address, "--home", str(home), "shell"],
                          env=env, timeout=TIMEOUT, encoding="utf-8", dimensions=(ROWS, COLS))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    assert "occhat: not logged in" in child.before


def test_shell_leading_slash_and_leaving_a_chat(friends):
    a, b = friends.a, friends.b
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send(f"/chat {b.id}\r")
        shell.expect(re.escape("[bob]> "))
        shell.send("//etc/hosts is a path\r")  # `//` sends a line starting with `/`
        assert wait_inbox(b, "/etc/hosts is a path") == ["/etc/hosts is a path"]
        shell.send("/chat\r")  # leaves the chat
        shell.send("plain\r")
        shell.expect("not in a chat: use /chat ID")
        assert shell.quit() == 0
    finally:
        shell.close()
