"""Password prompts on a terminal (a pty via pexpect): no echo, register asks twice."""

import pexpect

from conftest import PASSWORD, clean_env, cli_binary

TIMEOUT = 30


def spawn(server, home, tmp_path, *args):
    argv = ["--server", server.address, "--home", str(home), *args]
    child = pexpect.spawn(str(cli_binary()), argv, env=clean_env(tmp_path), timeout=TIMEOUT,
                          encoding="utf-8", echo=True)
    return child


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus, child.before


def test_login_prompts_without_echo(server, home, tmp_path):
    user_id = server.register(home)
    child = spawn(server, home, tmp_path, "login", str(user_id))
    child.expect("(?i)password")
    child.sendline(PASSWORD)
    child.expect(f"logged in as {user_id} \\(alice\\)")
    rest = child.before
    status, tail = finish(child)
    assert status == 0
    assert PASSWORD not in rest + tail, "the password was echoed"
    assert server.run(home, "whoami")[0] == 0


def test_login_prompt_wrong_password(server, home, tmp_path):
    user_id = server.register(home)
    child = spawn(server, home, tmp_path, "login", str(user_id))
    child.expect("(?i)password")
    child.sendline("not the password")
    status, output = finish(child)
    assert status == 3
    assert "occhat: wrong id or password" in output
    assert "not the password" not in output


def test_register_prompts_twice(server, home, tmp_path):
    child = spawn(server, home, tmp_path, "register", "--email", "p@x", "--nick", "pat")
    child.expect("(?i)password")
    child.sendline(PASSWORD)
    child.expect("(?i)password")
    child.sendline(PASSWORD)
    child.expect(r"\d{6}")
    user_id = int(child.after)
    typed = child.before
    status, tail = finish(child)
    assert status == 0
    assert PASSWORD not in typed + tail
    server.login(home, user_id)


def test_register_prompt_mismatch(server, home, tmp_path):
    child = spawn(server, home, tmp_path, "register", "--email", "p@x", "--nick", "pat")
    child.expect("(?i)password")
    child.sendline(PASSWORD)
    child.expect("(?i)password")
    child.sendline(PASSWORD + "x")
    status, output = finish(child)
    assert status == 1
    assert "occhat: " in output


def test_password_stdin_ignores_the_terminal(server, home, tmp_path):
    # With --password-stdin there is no prompt even on a terminal: the line is read from stdin.
    user_id = server.register(home)
    child = spawn(server, home, tmp_path, "login", str(user_id), "--password-stdin")
    child.sendline(PASSWORD)
    child.expect(f"logged in as {user_id}")
    assert finish(child)[0] == 0
