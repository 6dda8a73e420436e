"""`occhat shell`: /chat NICK for a nick only one friend has, and a message from another
conversation than the open chat marked as such."""

import re

from conftest import TIME_TEXT, befriend
from test_shell import Shell


def test_chat_by_nick_and_messages_from_elsewhere(friends):
    a, b, c = friends.a, friends.b, friends.c
    befriend(a, c)
    a.ok("inbox")
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send("/chat nobody\r")
        shell.expect(re.escape("occhat: no friend named nobody (/friends lists them)"))
        shell.send("/chat bob\r")
        shell.expect(re.escape("[bob]> "))

        c.ok("send", a.id, "from carol")
        shell.expect(rf">> elsewhere: \[{TIME_TEXT}\] carol \({c.id}\): from carol")
        b.ok("send", a.id, "from bob")
        match = shell.expect(rf"(.*)\[{TIME_TEXT}\] bob \({b.id}\): from bob")
        assert "elsewhere" not in match.group(1), match.group(0)
        assert shell.quit() == 0
    finally:
        shell.close()


def test_chat_completion_offers_nicks(friends):
    a = friends.a
    shell = Shell(a)
    try:
        shell.expect("> ")
        shell.send("/chat bo\t")
        shell.expect("/chat bob")
        shell.send("\r")
        shell.expect(re.escape("[bob]> "))
        assert shell.quit() == 0
    finally:
        shell.close()
