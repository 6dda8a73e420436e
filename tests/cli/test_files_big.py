"""A 1 GiB file end to end, with the server's peak memory measured (issue 4: the server streams
file bytes in constant memory; its RSS must stay under 64 MiB during a 1 GiB upload + download)."""

from conftest import CHUNK, parse_json, reset_vm_hwm, sha256_of, vm_hwm_bytes, write_random

GIB = 1 << 30
RSS_LIMIT = 64 << 20


def test_one_gib_file_with_bounded_server_memory(friends, tmp_path, server):
    a, b = friends.a, friends.b
    src = tmp_path / "one-gib.bin"
    out_path = tmp_path / "one-gib.copy"
    try:
        digest = write_random(src, GIB)
        # The logins above ran argon2id (64 MiB each): measure from here, the transfer alone.
        reset_vm_hwm(server.proc.pid)
        print(f"\nserver RSS before the transfer: {vm_hwm_bytes(server.proc.pid) / (1 << 20):.1f} MiB")
        rc, out, err = a.run("upload", b.id, src, json=True, timeout=300)
        assert (rc, err) == (0, ""), (rc, out, err)
        up = parse_json(out)
        assert (up["size"], up["sha256"], up["sent_bytes"], up["resumed_from"]) == (GIB, digest, GIB, 0), up
        src.unlink()  # keep at most two copies on disk (the server's and one of ours)

        rc, out, err = b.run("download", up["id"], "-o", out_path, json=True, timeout=300)
        assert (rc, err) == (0, ""), (rc, out, err)
        got = parse_json(out)
        assert (got["size"], got["sha256"], got["received_bytes"], got["resumed_from"]) == \
            (GIB, digest, GIB, 0), got
        assert out_path.stat().st_size == GIB
        assert sha256_of(out_path) == digest

        peak = vm_hwm_bytes(server.proc.pid)  # VmHWM: the peak RSS since reset_vm_hwm
        print(f"\n1 GiB upload + download: sha256 {digest} on both ends; server peak RSS (VmHWM) "
              f"{peak} bytes = {peak / (1 << 20):.1f} MiB (limit {RSS_LIMIT >> 20} MiB, chunk {CHUNK} bytes)")
        assert peak < RSS_LIMIT, f"server peak RSS {peak} bytes is not under {RSS_LIMIT}"
    finally:
        for p in (src, out_path):
            p.unlink(missing_ok=True)
