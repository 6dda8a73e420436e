"""occhat.Client for your own account: password, nick, discoverable + find_users, sessions,
login revoking the saved session, delete_account."""

import pytest

from conftest import PASSWORD

import occhat

NEW_PASSWORD = "a much better passphrase"


def test_change_password_revokes_other_sessions(env):
    alice_id, alice_home = env.user("alice")
    laptop = occhat.Client(env.server.address, env.tmp / "laptop")
    laptop.login(alice_id, PASSWORD)
    me = occhat.Client(env.server.address, alice_home)
    me.change_password(PASSWORD, NEW_PASSWORD)
    assert me.whoami().id == alice_id  # this session stays
    with pytest.raises(occhat.AuthError):
        occhat.Client(env.server.address, env.tmp / "laptop").whoami()
    with pytest.raises(occhat.AuthError):
        occhat.Client(env.server.address, env.tmp / "fresh").login(alice_id, PASSWORD)
    with pytest.raises(occhat.AuthError) as info:
        me.change_password("not the password", PASSWORD)
    assert info.value.code == "auth_failed"
    occhat.Client(env.server.address, env.tmp / "fresh").login(alice_id, NEW_PASSWORD)


def test_nick_discoverable_and_find_users(env):
    alice_id, alice_home = env.user("alice")
    bob_id, bob_home = env.user("bob")
    alice = occhat.Client(env.server.address, alice_home)
    bob = occhat.Client(env.server.address, bob_home)
    assert bob.find_users("ali") == []
    me = alice.set_discoverable(True)
    assert me.discoverable and alice.whoami().discoverable
    assert alice.set_nick("Alice").nick == "Alice"
    found = bob.find_users("ali")
    assert [(u.id, u.nick) for u in found] == [(alice_id, "Alice")]
    assert bob.find_users("ali", prefix=False) == []
    assert [u.id for u in bob.find_users("ALICE", prefix=False)] == [alice_id]
    with pytest.raises(occhat.InvalidArgumentError):
        alice.set_nick("")


def test_sessions_and_login_revoking_the_saved_one(env):
    alice_id, alice_home = env.user("alice")
    me = occhat.Client(env.server.address, alice_home)
    sessions = me.sessions()
    assert len(sessions) == 1 and sessions[0].current and sessions[0].client_name.startswith("occhat-python/")
    me.login(alice_id, PASSWORD)  # replaces the CLI's saved session: that one is revoked
    sessions = me.sessions()
    assert len(sessions) == 1 and sessions[0].current


def test_delete_account(env):
    alice_id, alice_home = env.user("alice")
    bob = env.user("bob")
    env.befriend((alice_id, alice_home), bob)
    me = occhat.Client(env.server.address, alice_home)
    with pytest.raises(occhat.AuthError):
        me.delete_account("not the password")
    me.delete_account(PASSWORD)
    assert occhat.Client(env.server.address, bob[1]).friends() == []
    with pytest.raises(occhat.AuthError):
        occhat.Client(env.server.address, env.tmp / "again").login(alice_id, PASSWORD)
