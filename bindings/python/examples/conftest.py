"""The occhat_server fixture (one real occhat-server per test session) for test_examples.py."""

pytest_plugins = ["occhat.testing"]
