"""The home directory shared with the `occhat` CLI: session.json and the inbox cursor.

session.json = {"server": "HOST:PORT", "user_id": N, "token": "<64 hex>"} (mode 0600, in a
directory created 0700); a login over TLS adds "tls": true and, with a CA file, "ca": "<path>". cursor = "<user_id> <seq>\\n": the highest inbox seq handled by a client
of this home, so a restarted bot (or the CLI) skips what was already handled. Both are replaced
atomically (temp file + rename): a killed process leaves the old or the new value.
"""

import json
import os
import pathlib
from typing import Any, Dict, List, Optional, Union

from ._errors import AuthError


def resolve_home(home: Union[None, str, "os.PathLike[str]"] = None) -> pathlib.Path:
    """`home`, else $OCCHAT_HOME, else ~/.occhat (like the CLI)."""
    if home is None:
        home = os.environ.get("OCCHAT_HOME") or os.path.join(os.path.expanduser("~"), ".occhat")
    return pathlib.Path(home)


def _ensure_dir(path: pathlib.Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def _write_atomically(path: pathlib.Path, text: str, fsync: bool) -> None:
    tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, text.encode())
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_session(home: pathlib.Path) -> Optional[Dict[str, Any]]:
    """The saved session as a dict, or None when there is none."""
    try:
        data = json.loads((home / "session.json").read_text())
        tls = data.get("tls", False)
        if not isinstance(tls, bool):
            raise TypeError("tls must be true or false")
        return {"server": str(data["server"]), "user_id": int(data["user_id"]), "token": str(data["token"]),
                "tls": tls, "ca": str(data.get("ca", "")) if tls else ""}
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as e:
        raise AuthError(f"damaged session file {home / 'session.json'}: log in again ({e})",
                        "unauthenticated") from None


def save_session(home: pathlib.Path, server: str, user_id: int, token: str, tls: bool = False, ca: str = "") -> None:
    _ensure_dir(home)
    data: Dict[str, Any] = {"server": server, "user_id": user_id, "token": token}
    if tls:
        data["tls"] = True
        if ca:
            data["ca"] = os.path.abspath(ca)
    text = json.dumps(data)
    _write_atomically(home / "session.json", text, fsync=True)


def pending_revocations(home: pathlib.Path, server: str) -> List[str]:
    """Tokens a logout could not revoke on `server` (revoke.json, shared with the CLI)."""
    try:
        data = json.loads((home / "revoke.json").read_text())
        return [str(e["token"]) for e in data["pending"] if e.get("server") == server]
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return []


def _save_pending(home: pathlib.Path, entries: List[Dict[str, str]]) -> None:
    """Writes revoke.json (at most the 16 newest), or removes it when nothing is pending."""
    if not entries:
        try:
            (home / "revoke.json").unlink()
        except FileNotFoundError:
            pass
        return
    _ensure_dir(home)
    _write_atomically(home / "revoke.json", json.dumps({"pending": entries[-16:]}), fsync=True)


def _load_pending(home: pathlib.Path) -> List[Dict[str, str]]:
    """Every pending entry of revoke.json ([] without one, or a damaged one)."""
    try:
        data = json.loads((home / "revoke.json").read_text())
        return [{"server": str(e["server"]), "token": str(e["token"])} for e in data["pending"]]
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return []


def add_pending_revocation(home: pathlib.Path, server: str, token: str) -> None:
    """Remembers a token to revoke at the next login to `server`."""
    _save_pending(home, _load_pending(home) + [{"server": server, "token": token}])


def clear_pending_revocations(home: pathlib.Path, server: str) -> None:
    """Forgets the tokens pending for `server` (they were revoked at a login there)."""
    _save_pending(home, [e for e in _load_pending(home) if e["server"] != server])


def remove_session(home: pathlib.Path) -> None:
    try:
        (home / "session.json").unlink()
    except FileNotFoundError:
        pass


class Cursor:
    """The highest handled seq for `user_id` in this home (0 for another user's file).

    advance() in two steps around handling an event: prepare(seq) writes the temp file before
    the handler runs, commit() renames it (one system call) right after it returns, so a process
    killed in between repeats at most the event whose handler had not finished."""

    def __init__(self, home: pathlib.Path, user_id: int) -> None:
        self.home = home
        self.user_id = user_id
        self.value = 0
        self._prepared = 0
        self._tmp = home / f"cursor.tmp.{os.getpid()}"
        try:
            parts = (home / "cursor").read_text().split()
            if len(parts) == 2 and int(parts[0]) == user_id:
                self.value = int(parts[1])
        except (FileNotFoundError, ValueError):
            pass

    def prepare(self, seq: int) -> None:
        self._prepared = 0
        if seq <= self.value:
            return
        _ensure_dir(self.home)
        fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, f"{self.user_id} {seq}\n".encode())
        finally:
            os.close(fd)
        self._prepared = seq

    def commit(self) -> None:
        if self._prepared <= self.value:
            self._prepared = 0
            return
        os.replace(self._tmp, self.home / "cursor")
        self.value = self._prepared
        self._prepared = 0

    def advance(self, seq: int) -> None:
        self.prepare(seq)
        self.commit()
