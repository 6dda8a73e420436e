"""Hostile bytes on the wire end only that connection; the server keeps serving the CLI."""

import os
import socket
import struct

from conftest import PASSWORD

ERROR_TYPE = 1
PROTOCOL_ERROR = 2


def connect(server):
    s = socket.create_connection((server.host, server.port), timeout=10)
    s.settimeout(10)
    return s


def read_until_closed(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def hello_frame(request_id=1):
    client = b"raw-test"
    hello = b"\x08\x01" + b"\x12" + bytes([len(client)]) + client  # {protocol_version=1, client_name}
    payload = b"\x12" + bytes([len(hello)]) + hello  # Envelope.hello = field 2
    return struct.pack(">IHHI", len(payload), 2, 0, request_id) + payload


def first_frame(data):
    assert len(data) >= 12, data
    size, ftype, flags, request_id = struct.unpack(">IHHI", data[:12])
    return size, ftype, flags, request_id, data[12:12 + size]


def still_serving(server, home):
    user_id = server.register(home, f"u{os.getpid()}@x", "survivor")
    server.login(home, user_id)
    assert server.run(home, "whoami")[0] == 0


def test_random_bytes_close_only_that_connection(server, home):
    bystander = connect(server)
    bystander.sendall(hello_frame())
    s = connect(server)
    s.sendall(os.urandom(4096))
    read_until_closed(s)
    s.close()
    still_serving(server, home)
    # The other raw connection is still open and answers a ping.
    ping = b"\x22\x00"
    bystander.sendall(struct.pack(">IHHI", len(ping), 4, 0, 9) + ping)
    data = b""
    while len(data) < 12 * 2:
        chunk = bystander.recv(4096)
        assert chunk, "bystander connection was closed"
        data += chunk
    bystander.close()


def test_four_gib_header_gets_protocol_error_and_close(server, home):
    s = connect(server)
    s.sendall(hello_frame(1))
    s.sendall(struct.pack(">IHHI", 0xFFFFFFFF, 12, 0, 2))
    data = read_until_closed(s)
    s.close()
    # hello_ok for request 1, then one error frame for request 2, then close.
    size, ftype, _, rid, _ = first_frame(data)
    assert (ftype, rid) == (3, 1)
    rest = data[12 + size:]
    _, ftype, _, rid, payload = first_frame(rest)
    assert (ftype, rid) == (ERROR_TYPE, 2)
    assert payload[:1] == b"\x0a"  # Envelope.error
    assert b"\x08" + bytes([PROTOCOL_ERROR]) in payload
    still_serving(server, home)


def test_first_frame_not_hello(server, home):
    s = connect(server)
    ping = b"\x22\x00"
    s.sendall(struct.pack(">IHHI", len(ping), 4, 0, 5) + ping)
    data = read_until_closed(s)
    s.close()
    _, ftype, _, rid, payload = first_frame(data)
    assert (ftype, rid) == (ERROR_TYPE, 5)
    still_serving(server, home)


def test_half_frame_then_close(server, home):
    for _ in range(20):
        s = connect(server)
        frame = hello_frame()
        s.sendall(frame[: len(frame) // 2])
        s.close()
    still_serving(server, home)


def test_many_idle_connections_do_not_block_others(server, home):
    idle = [connect(server) for _ in range(50)]
    try:
        still_serving(server, home)
    finally:
        for s in idle:
            s.close()


def test_password_over_cap_is_rejected(server, home):
    rc, out, err = server.run(home, "register", "--email", "a@x", "--nick", "a", "--password-stdin",
                              stdin="p" * 2000 + "\n")
    assert rc == 1, (out, err)
    assert PASSWORD not in err
