"""occhat.testing: the server it starts, accounts in one call, and accounts recycled between
tests so that a test after the first costs milliseconds, not password hashes."""

import time

import occhat
from occhat.testing import OcchatServer


def test_server_users_and_friendships_in_one_call_each():
    with OcchatServer() as server:
        alice, bob, carol = server.users("alice", "bob", "carol")
        assert {f.id for f in alice.client.friends()} == {bob.id, carol.id}
        assert alice.client.whoami().nick == "alice"
        loner = server.user("dave")
        assert loner.client.friends() == []
        # The session is saved in the user's home, like `occhat login`: any client can resume it.
        assert occhat.Client(server.address, bob.home).whoami().id == bob.id
        process, directory = server.proc, server.directory
    assert process.poll() is not None, "the server is stopped at the end"
    assert not directory.exists(), "its data and the homes are deleted"

def test_a_recycled_account_starts_clean_and_costs_milliseconds():
    with OcchatServer() as server:
        alice, bob = server.users("alice", "bob")
        room = alice.client.create_room("old")
        alice.client.invite_to_room(room, bob)
        bob_room = bob.client.create_room("bob's")
        bob.client.invite_to_room(bob_room, alice)
        alice.client.send(bob, "from the first test")
        blocked = server.user("mallory")
        alice.client.block_user(blocked)
        first = {alice.id, bob.id}
        server.recycle()

        start = time.monotonic()
        alice, bob = server.users("alice", "bob")
        took = time.monotonic() - start
        assert {alice.id, bob.id} == first  # the same accounts, reused
        assert took < 0.1, f"{took:.3f}s: recycled accounts should not hash passwords again"
        assert [f.id for f in alice.client.friends()] == [bob.id]  # befriended again by users()
        assert alice.client.rooms().rooms == [] and alice.client.rooms().invites == []
        assert alice.client.blocked_users() == []
        # Nothing from the first test is pending: not the message, not the room events.
        assert [e.type for e in bob.client.inbox(peek=True)] == ["friend_request"]
        assert bob.client.history(alice)[-1].text == "from the first test"  # history stays
