"""`occhat --version`, `occhat help [COMMAND]`, global flags in a command's --help, and the hint
for unquoted text (words left over after a command's arguments)."""

import re

from conftest import assert_json_error, assert_one_error_line, run

GLOBAL_FLAGS = ("--server", "--home", "--json", "--tls", "--ca")


def test_version(home):
    rc, out, err = run(home, "--version")
    assert rc == 0 and err == ""
    assert re.fullmatch(r"occhat \d+\.\d+\.\d+\n", out), out


def test_help_without_a_command_is_the_top_level_help(home):
    rc, out, err = run(home, "help")
    assert (rc, err) == (0, "")
    assert out == run(home, "--help")[1]
    assert "download" in out and "Exit codes:" in out


def test_help_command_is_that_commands_help(home):
    rc, out, err = run(home, "help", "send")
    assert (rc, err) == (0, "")
    assert out == run(home, "send", "--help")[1]
    assert "Usage: occhat send" in out


def test_help_of_an_unknown_command(home):
    rc, out, err = run(home, "help", "nope")
    assert (rc, out) == (1, "")
    assert_one_error_line(err, 'unknown command "nope" (run: occhat help)')


def test_command_help_lists_the_global_flags(home):
    rc, out, err = run(home, "download", "--help")
    assert (rc, err) == (0, "")
    own, _, globals_ = out.partition("Global options:")
    assert "--restart" in own
    for flag in GLOBAL_FLAGS:
        assert flag in globals_, (flag, out)
    assert globals_.index("--ca") < globals_.index("Exit codes:")  # the footer stays last


def test_unquoted_text_gets_a_hint(home):
    rc, out, err = run(home, "send", "123456", "hello", "world")
    assert (rc, out) == (1, "")
    assert_one_error_line(err, "too many arguments: world (quote text with spaces: occhat send 123456 'hello world')")
    rc, out, err = run(home, "send", "123456", "hello", "big", "world", json=True)
    error = assert_json_error(out, err, "invalid_argument", 1)
    assert "occhat send 123456 'hello big world'" in error["message"]


def test_unknown_flag_is_still_a_usage_error(home):
    rc, out, err = run(home, "whoami", "--bogus")
    assert (rc, out) == (1, "")
    assert_one_error_line(err, "unknown option --bogus (run: occhat whoami --help)")
