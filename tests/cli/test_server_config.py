"""occhat-server --config FILE: every flag as `key = value`; the command line overrides the file;
an unknown key or a bad value names the file and the line, exit 1."""

import stat
import subprocess

from conftest import PASSWORD, befriend, make_user, server_binary


def server_exit(*args):
    proc = subprocess.run([str(server_binary()), *map(str, args)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


def register(server, home):
    return server.run(home, "register", "--email", "a@x", "--nick", "a", "--password-stdin",
                      stdin=PASSWORD + "\n")


def test_the_file_sets_flags(server_factory, home, tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text("# a private server\n[server]\nregistration = closed\nlog_level = \"quiet\"\n")
    srv = server_factory(extra_args=["--config", conf])
    rc, out, err = register(srv, home)
    assert (rc, err) == (5, "occhat: registration is closed on this server\n")
    assert srv.stderr() == ""  # log-level quiet came from the file too


def test_the_command_line_overrides_the_file(server_factory, home, tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text("registration = closed\n")
    srv = server_factory(extra_args=["--config", conf, "--registration", "open"])
    rc, out, err = register(srv, home)
    assert (rc, err) == (0, ""), (rc, out, err)


def test_an_unknown_key_names_the_file_and_line(tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text("listen = 127.0.0.1:0\n\n# typo below\nmax-room-member = 10\n")
    rc, out, err = server_exit("--config", conf)
    assert (rc, out) == (1, "")
    assert err == f"occhat-server: {conf}:4: unknown key 'max-room-member' (every flag of occhat-server --help is a key)\n"


def test_a_bad_value_names_the_file_and_line(tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text("[server]\ndurability = sometimes\n")
    rc, out, err = server_exit("--config", conf)
    assert (rc, out) == (1, "")
    assert err.startswith(f"occhat-server: {conf}:2: bad value for durability: "), err
    assert "sometimes" in err and err.count("\n") == 1


def test_malformed_lines_and_missing_files(tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text("listen\n")
    assert server_exit("--config", conf) == (1, "", f"occhat-server: {conf}:1: expected key = value, got 'listen'\n")
    conf.write_text("[client]\n")
    assert server_exit("--config", conf)[2] == f"occhat-server: {conf}:1: unknown section [client] (only [server] is allowed)\n"
    missing = tmp_path / "nope.conf"
    assert server_exit("--config", missing) == (1, "", f"occhat-server: cannot read config file {missing}\n")


def test_files_dir_from_the_file_puts_the_bytes_there(server_factory, tmp_path):
    files = tmp_path / "elsewhere" / "files"
    conf = tmp_path / "server.conf"
    conf.write_text(f"files-dir = {files}\n")
    srv = server_factory(extra_args=["--config", conf])
    a, b = make_user(srv, tmp_path, "alice"), make_user(srv, tmp_path, "bob")
    befriend(a, b)
    src = tmp_path / "note.txt"
    src.write_bytes(b"x" * 5000)
    a.ok("upload", b.id, src)
    assert [p.stat().st_size for p in (files / "published").iterdir()] == [5000]
    assert stat.S_IMODE(files.stat().st_mode) == 0o700
    assert not (srv.data_dir / "files").exists()
    assert (srv.data_dir / "occhat.db").exists()  # the database stays in the data dir
