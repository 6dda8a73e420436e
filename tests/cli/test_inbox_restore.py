"""A server whose inbox went back below a home's cursor (its data dir restored from a backup):
the events it numbers with seqs that home has already seen must be shown — with a warning —
and never acknowledged unseen. (Issue 12, item 8.)

The regression is made for real: stop the server, copy its database aside, let it run on,
stop it again, put the old copy back and restart it on the same port."""

import json as jsonlib
import shutil

from conftest import drain_inbox

WARNING = "occhat: warning: the server's inbox is behind this home's cursor"


def db_files(data_dir):
    return sorted(p for p in data_dir.iterdir() if p.name.startswith("occhat.db"))


def backup(server, dest):
    """Stops the server, copies its database to `dest`, starts it again on the same port."""
    port = server.port
    assert server.stop() == 0
    dest.mkdir()
    files = db_files(server.data_dir)
    assert files, list(server.data_dir.iterdir())
    for p in files:
        shutil.copy2(p, dest / p.name)
    server.start(port)


def restore(server, src):
    """Stops the server, puts the copy from `src` back, starts it again on the same port."""
    port = server.port
    assert server.stop() == 0
    for p in db_files(server.data_dir):
        p.unlink()
    for p in src.iterdir():
        shutil.copy2(p, server.data_dir / p.name)
    server.start(port)


def texts(out):
    return [line.rsplit(": ", 1)[1] for line in out.splitlines()]


def regressed(friends, server, tmp_path, shown_after_backup=3):
    """bob's home has shown (and acknowledged) `shown_after_backup` messages that the restored
    server no longer knows about."""
    a, b = friends.a, friends.b
    a.ok("send", b.id, "before the backup")
    assert texts(b.ok("inbox")) == ["before the backup"]
    backup(server, tmp_path / "backup")
    for i in range(shown_after_backup):
        a.ok("send", b.id, f"lost to the restore {i}")
    assert texts(b.ok("inbox")) == [f"lost to the restore {i}" for i in range(shown_after_backup)]
    restore(server, tmp_path / "backup")
    return a, b


def test_inbox_after_restore_shows_new_events_below_the_cursor(friends, server, tmp_path):
    """Fewer new events than the cursor is ahead: the server has no event at the cursor."""
    a, b = regressed(friends, server, tmp_path)
    a.ok("send", b.id, "new 1")
    a.ok("send", b.id, "new 2")
    rc, out, err = b.run("inbox")
    assert rc == 0, (rc, out, err)
    assert texts(out) == ["new 1", "new 2"], out
    assert err.startswith(WARNING) and err.count("\n") == 1, err
    # Shown once and acknowledged: no repeat, no further warning.
    assert b.ok("inbox") == ""
    a.ok("send", b.id, "new 3")
    assert texts(b.ok("inbox")) == ["new 3"]


def test_inbox_after_restore_shows_new_events_past_the_cursor(friends, server, tmp_path):
    """More new events than the cursor is ahead: the server's event at the cursor's seq is
    another one than the home showed (cursor.check tells them apart)."""
    a, b = regressed(friends, server, tmp_path)
    new = [f"new {i}" for i in range(5)]
    for text in new:
        a.ok("send", b.id, text)
    rc, out, err = b.run("inbox")
    assert rc == 0, (rc, out, err)
    assert texts(out) == new, out
    assert err.startswith(WARNING), err
    assert b.ok("inbox") == ""


def test_inbox_peek_and_json_after_restore(friends, server, tmp_path):
    a, b = regressed(friends, server, tmp_path)
    a.ok("send", b.id, "new 1")
    # --peek shows and warns, acknowledges nothing, changes no file.
    cursor = (b.home / "cursor").read_text()
    for _ in range(2):
        rc, out, err = b.run("inbox", "--peek")
        assert (rc, texts(out)) == (0, ["new 1"]), (rc, out, err)
        assert err.startswith(WARNING), err
    assert (b.home / "cursor").read_text() == cursor
    rc, out, err = b.run("inbox", json=True)
    assert rc == 0, (rc, out, err)
    lines = [jsonlib.loads(line) for line in out.splitlines()]
    warning, event = lines
    assert warning["type"] == "warning" and warning["code"] == "inbox_behind_cursor", warning
    assert warning["version"] == 1 and warning["cursor"] > warning["seq"] == event["seq"], lines
    assert event["type"] == "message" and event["text"] == "new 1", event
    assert b.jsonl("inbox") == []


def test_inbox_reset_cursor(friends, server, tmp_path):
    a, b = friends.a, friends.b
    a.ok("send", b.id, "pending")
    assert texts(b.ok("inbox", "--peek")) == ["pending"]
    # A cursor that claims more than was shown (as after a restore of the server, or a home
    # copied from elsewhere) with no record of which event it was: the pending event at the
    # cursor's seq would be taken for a shown one. --reset-cursor shows it anyway.
    [event] = b.jsonl("inbox", "--peek")
    (b.home / "cursor").write_text(f"{b.id} {event['seq']}\n")
    assert b.ok("inbox", "--peek") == ""
    assert texts(b.ok("inbox", "--reset-cursor", "--peek")) == ["pending"]
    assert (b.home / "cursor").exists()  # --peek keeps the files
    assert texts(b.ok("inbox", "--reset-cursor")) == ["pending"]
    assert b.ok("inbox") == ""
    assert b.ok("inbox", "--reset-cursor") == ""


def test_watch_after_restore_shows_new_events_below_the_cursor(friends, server, tmp_path, watch_factory):
    """Nothing is pending when `watch` starts, so the cursor cannot be checked then; the first
    new event at or below it gives the restore away."""
    a, b = regressed(friends, server, tmp_path)
    w = watch_factory(b)
    a.ok("send", b.id, "new 1")
    got = w.wait_for(lambda e: e.get("type") in ("message", "warning"), what="a message or warning")
    assert got["type"] == "warning" and got["code"] == "inbox_behind_cursor", got
    got = w.wait_for(lambda e: e.get("type") == "message", what="new 1")
    assert got["text"] == "new 1", got
    w.wait_stderr(WARNING)
    a.ok("send", b.id, "new 2")
    assert w.wait_for(lambda e: e.get("type") == "message", what="new 2")["text"] == "new 2"
    assert w.interrupt() == 0
    assert b.ok("inbox") == ""  # both were acknowledged by the watch, once shown


def test_shell_after_restore_shows_pending_events(friends, server, tmp_path):
    a, b = regressed(friends, server, tmp_path)
    a.ok("send", b.id, "new 1")
    rc, out, err = b.run("shell", stdin="/inbox\n/quit\n")
    assert rc == 0, (rc, out, err)
    assert "): new 1\n" in out, out
    assert WARNING in err, err
    assert b.ok("inbox") == ""


def test_inbox_killed_before_ack_is_not_a_restore(friends, server, tmp_path):
    """The ordinary gap — events shown by a run that died before acknowledging — is still
    skipped silently (the pending event at the cursor is the one shown)."""
    a, b = friends.a, friends.b
    drain_inbox(b)
    for text in ("one", "two"):
        a.ok("send", b.id, text)
    events = b.jsonl("inbox", "--peek")
    # What a run killed between printing and acking leaves: the cursor and its check file.
    last = events[-1]
    (b.home / "cursor").write_text(f"{b.id} {last['seq']}\n")
    (b.home / "cursor.check").write_text(f"{b.id} {last['seq']} message:{last['id']}:0\n")
    rc, out, err = b.run("inbox")
    # The check file names another event (time 0): a restore, so both are shown again.
    assert (rc, texts(out)) == (0, ["one", "two"]), (rc, out, err)
    assert err.startswith(WARNING), err
    assert b.ok("inbox") == ""


def test_inbox_shown_but_not_acknowledged_is_skipped_silently(friends, server, tmp_path):
    """The server's view of a run killed between printing and acknowledging, made for real:
    back up with events pending, show and acknowledge them, restore. The restored server has
    exactly the events this home showed pending: skipped without a warning, then acknowledged."""
    a, b = friends.a, friends.b
    drain_inbox(b)
    for text in ("one", "two"):
        a.ok("send", b.id, text)
    backup(server, tmp_path / "backup")
    assert texts(b.ok("inbox")) == ["one", "two"]
    cursor, check = (b.home / "cursor").read_text(), (b.home / "cursor.check").read_text()
    assert check.startswith(cursor.strip() + " message:"), (cursor, check)
    restore(server, tmp_path / "backup")
    assert b.ok("inbox") == ""  # no repeat, no warning (ok() checks stderr is empty)
    assert b.ok("inbox", "--reset-cursor", "--peek") == ""  # and acknowledged on the server
    a.ok("send", b.id, "three")
    assert texts(b.ok("inbox")) == ["three"]


def test_running_watch_across_a_restore_shows_new_events(friends, server, tmp_path, watch_factory):
    """The restore happens while `watch` runs: it reconnects to the restored server, and the
    events that server numbers below the watch's cursor are shown, not skipped."""
    a, b = friends.a, friends.b
    a.ok("send", b.id, "before the backup")
    assert texts(b.ok("inbox")) == ["before the backup"]
    backup(server, tmp_path / "backup")
    w = watch_factory(b)
    for i in range(3):
        a.ok("send", b.id, f"lost to the restore {i}")
        assert w.wait_for(lambda e: e.get("type") == "message", what=f"message {i}")["text"] == f"lost to the restore {i}"
    restore(server, tmp_path / "backup")
    w.wait_stderr("occhat: reconnected")
    a.ok("send", b.id, "new 1")
    got = w.wait_for(lambda e: e.get("type") in ("message", "warning"), what="a message or warning")
    assert got["type"] == "warning" and got["code"] == "inbox_behind_cursor", got
    assert w.wait_for(lambda e: e.get("type") == "message", what="new 1")["text"] == "new 1"
    assert w.interrupt() == 0
    assert b.ok("inbox") == ""
