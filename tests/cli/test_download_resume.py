"""`occhat download` continues a matching PATH.part by default (as `upload` continues), starts
over with --restart, says how to continue when interrupted, and writes to stdout (-o -) or into
a directory (-o DIR)."""

import hashlib
import pathlib
import signal
import subprocess
import time

from conftest import (assert_json_error, assert_one_error_line, cli_binary, clean_env, parse_json, spawn,
                      write_random)

MIB = 1 << 20


def upload(user, to, path):
    rc, out, err = user.run("upload", to.id, path, json=True, timeout=120)
    assert (rc, err) == (0, ""), (rc, out, err)
    return parse_json(out)


def download(user, *args, cwd=None):
    rc, out, err = user.run("download", *args, json=True, timeout=120, cwd=cwd)
    assert (rc, err) == (0, ""), (rc, out, err)
    return parse_json(out)


def plant_part(out_path, data, info, keep):
    """What an interrupted download leaves: the first `keep` bytes and the validator."""
    pathlib.Path(f"{out_path}.part").write_bytes(data[:keep])
    pathlib.Path(f"{out_path}.part.meta").write_text(f"{info['id']} {info['sha256']} {info['size']}\n")


def test_partial_download_is_resumed_without_a_flag(friends, tmp_path):
    a, b = friends.a, friends.b
    data = bytes(range(256)) * 4096  # 1 MiB
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    info = upload(a, b, src)
    out_path = tmp_path / "got.bin"
    plant_part(out_path, data, info, 300_000)

    got = download(b, info["id"], "-o", out_path)
    assert (got["resumed_from"], got["received_bytes"]) == (300_000, len(data) - 300_000), got
    assert out_path.read_bytes() == data
    assert not pathlib.Path(f"{out_path}.part").exists()

    # --resume is still accepted (it is the default now).
    plant_part(tmp_path / "again.bin", data, info, 1000)
    assert download(b, info["id"], "-o", tmp_path / "again.bin", "--resume")["resumed_from"] == 1000


def test_restart_drops_the_partial_download(friends, tmp_path):
    a, b = friends.a, friends.b
    data = b"x" * 100_000
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    info = upload(a, b, src)
    out_path = tmp_path / "got.bin"
    plant_part(out_path, data, info, 50_000)
    got = download(b, info["id"], "-o", out_path, "--restart")
    assert (got["resumed_from"], got["received_bytes"]) == (0, len(data)), got
    assert out_path.read_bytes() == data
    rc, out, err = b.run("download", info["id"], "-o", tmp_path / "z", "--restart", "--resume")
    assert rc == 1 and out == ""
    assert_one_error_line(err)


def test_ctrl_c_says_how_to_continue(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "big.bin"
    write_random(src, 200 * MIB)
    file_id = upload(a, b, src)["id"]
    src.unlink()
    out_path = tmp_path / "got.bin"
    part = pathlib.Path(f"{out_path}.part")
    proc = spawn(b, "download", file_id, "-o", out_path)
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 0):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == -signal.SIGINT, (proc.returncode, out, err)
    assert out == b""
    assert err.decode().replace("\r\x1b[K", "") == \
        f"occhat: interrupted; run the same command again to resume from {out_path}.part\n"
    assert part.exists() and not out_path.exists()
    got = download(b, file_id, "-o", out_path)
    assert got["resumed_from"] > 0, got
    out_path.unlink()


def test_output_dash_writes_the_file_to_stdout(friends, tmp_path):
    a, b = friends.a, friends.b
    data = bytes(range(256)) * 1000
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    file_id = upload(a, b, src)["id"]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = subprocess.run([str(cli_binary()), "--server", b.server.address, "--home", str(b.home),
                           "download", str(file_id), "-o", "-"], capture_output=True, cwd=cwd,
                          env=clean_env(tmp_path), stdin=subprocess.DEVNULL, timeout=60)
    assert (proc.returncode, proc.stderr) == (0, b""), proc
    assert hashlib.sha256(proc.stdout).hexdigest() == hashlib.sha256(data).hexdigest()
    assert list(cwd.iterdir()) == []  # nothing left behind


def test_output_directory_means_into_it(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "notes.txt"
    src.write_bytes(b"hello\n")
    file_id = upload(a, b, src)["id"]
    into = tmp_path / "into"
    into.mkdir()
    got = download(b, file_id, "-o", into)
    assert pathlib.Path(got["path"]) == into / "notes.txt"
    assert (into / "notes.txt").read_bytes() == b"hello\n"


def test_force_onto_a_directory_leaves_no_part(friends, tmp_path):
    a, b = friends.a, friends.b
    src = tmp_path / "notes.txt"
    src.write_bytes(b"hello\n")
    file_id = upload(a, b, src)["id"]
    cwd = tmp_path / "cwd"
    (cwd / "notes.txt").mkdir(parents=True)  # the file's own name is taken by a directory
    rc, out, err = b.run("download", file_id, "--force", cwd=cwd)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err, "notes.txt is a directory (use -o PATH)")
    assert sorted(p.name for p in cwd.iterdir()) == ["notes.txt"]
    rc, out, err = b.run("download", file_id, "--force", json=True, cwd=cwd)
    assert_json_error(out, err, "invalid_argument", 1)
