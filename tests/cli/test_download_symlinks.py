"""`occhat download` in a directory another local user can write to (issue 12, item 6).

Someone plants `NAME.part -> victim` (or `NAME.part.meta -> victim`, a hard link, a FIFO, a file
of theirs) before bob downloads NAME there. occhat must never write through such an entry, never
block on it, never move it into place as NAME: it refuses with exit 1 and one clear line, leaves
the entry as it is, and downloads normally once it is gone. A symlink at NAME itself is an
existing NAME (exit 1 without --force); --force replaces the link, never writes through it."""

import os
import pathlib
import stat

import pytest

from conftest import assert_json_error, assert_one_error_line, parse_json

CONTENT = b"the real report\n" * 1000
VICTIM = b"precious bytes that must survive\n"
REFUSAL = "(not followed, left as it is; remove it to download here)"


@pytest.fixture
def shared(friends, tmp_path):
    """alice sent bob report.txt; `dl` is bob's download dir, `victims` holds files elsewhere."""
    a, b = friends.a, friends.b
    src = tmp_path / "report.txt"
    src.write_bytes(CONTENT)
    rc, out, err = a.run("upload", b.id, src, json=True, timeout=60)
    assert (rc, err) == (0, ""), (rc, out, err)
    file_id = parse_json(out)["id"]
    dl = tmp_path / "dl"
    dl.mkdir()
    victims = tmp_path / "victims"
    victims.mkdir()
    return b, file_id, dl, victims


def victim(victims, name, exists=True):
    path = victims / name
    if exists:
        path.write_bytes(VICTIM)
    return path


def assert_untouched(path, existed=True):
    if existed:
        assert path.read_bytes() == VICTIM, f"{path} was written through a planted link"
    else:
        assert not os.path.lexists(path), f"{path} was created through a dangling planted link"


def assert_downloaded(dl):
    report = dl / "report.txt"
    st = os.lstat(report)
    assert stat.S_ISREG(st.st_mode), "report.txt must be a regular file, not a link"
    assert report.read_bytes() == CONTENT
    assert not os.path.lexists(dl / "report.txt.part")
    assert not os.path.lexists(dl / "report.txt.part.meta")


@pytest.mark.parametrize("resume", [False, True], ids=["fresh", "resume"])
@pytest.mark.parametrize("planted", [".part", ".part.meta", "both", "dangling .part"])
def test_planted_symlink_is_refused_and_never_followed(shared, planted, resume):
    b, file_id, dl, victims = shared
    links = {}
    if planted in (".part", "both"):
        links[".part"] = (victim(victims, "victim"), True)
    if planted in (".part.meta", "both"):
        links[".part.meta"] = (victim(victims, "victim2"), True)
    if planted == "dangling .part":
        links[".part"] = (victim(victims, "created-elsewhere", exists=False), False)
    for suffix, (target, _) in links.items():
        os.symlink(target, dl / f"report.txt{suffix}")
    extra = ["--resume"] if resume else []

    rc, out, err = b.run("download", file_id, *extra, cwd=dl, timeout=30)
    assert (rc, out) == (1, ""), (rc, out, err)
    # The validator is looked at first, so with both planted the message names .part.meta.
    first = ".part.meta" if ".part.meta" in links else ".part"
    assert_one_error_line(err, f"cannot write report.txt{first}: it is a symbolic link {REFUSAL}")
    for suffix, (target, existed) in links.items():
        assert_untouched(target, existed)
        assert os.readlink(dl / f"report.txt{suffix}") == str(target), "the planted link is left as it is"
    assert not os.path.lexists(dl / "report.txt"), "nothing may appear under the final name"

    rc, out, err = b.run("download", file_id, *extra, json=True, cwd=dl, timeout=30)
    error = assert_json_error(out, err, "invalid_argument", 1)
    assert "symbolic link" in error["message"], error

    for suffix in links:
        (dl / f"report.txt{suffix}").unlink()
    rc, out, err = b.run("download", file_id, *extra, json=True, cwd=dl, timeout=60)
    assert (rc, err) == (0, ""), (rc, out, err)
    assert_downloaded(dl)
    for target, existed in links.values():
        assert_untouched(target, existed)


def test_hard_link_at_part_is_refused(shared):
    """A hard link to a file of bob's: O_NOFOLLOW does not see it, truncating it would."""
    b, file_id, dl, victims = shared
    target = victim(victims, "victim")
    os.link(target, dl / "report.txt.part")
    for extra in ([], ["--resume"]):
        rc, out, err = b.run("download", file_id, *extra, cwd=dl, timeout=30)
        assert (rc, out) == (1, ""), (rc, out, err)
        assert_one_error_line(err, f"cannot write report.txt.part: it has other hard links {REFUSAL}")
        assert_untouched(target)
    assert not os.path.lexists(dl / "report.txt")


def test_fifo_at_part_meta_is_refused_without_blocking(shared):
    b, file_id, dl, _ = shared
    os.mkfifo(dl / "report.txt.part.meta")
    for extra in ([], ["--resume"]):
        rc, out, err = b.run("download", file_id, *extra, cwd=dl, timeout=20)
        assert (rc, out) == (1, ""), (rc, out, err)
        assert_one_error_line(err, f"cannot write report.txt.part.meta: it is not a regular file {REFUSAL}")
    assert stat.S_ISFIFO(os.lstat(dl / "report.txt.part.meta").st_mode)
    assert not os.path.lexists(dl / "report.txt")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a file owned by another user")
def test_part_of_another_user_is_refused(shared):
    b, file_id, dl, _ = shared
    theirs = dl / "report.txt.part"
    theirs.write_bytes(b"someone else's bytes\n")
    os.chown(theirs, 65534, 65534)
    rc, out, err = b.run("download", file_id, "--resume", cwd=dl, timeout=30)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err, f"cannot write report.txt.part: it belongs to another user {REFUSAL}")
    assert theirs.read_bytes() == b"someone else's bytes\n"


def test_symlink_at_final_name_is_replaced_only_with_force(shared):
    b, file_id, dl, victims = shared
    target = victim(victims, "victim")
    os.symlink(target, dl / "report.txt")
    rc, out, err = b.run("download", file_id, cwd=dl, timeout=30)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert_one_error_line(err, "report.txt exists (use --force or -o)")
    assert os.path.islink(dl / "report.txt")

    dangling = dl / "other.txt"
    os.symlink(victims / "nowhere", dangling)  # a dangling link occupies the name too
    rc, out, err = b.run("download", file_id, "-o", dangling, cwd=dl, timeout=30)
    assert (rc, out) == (1, ""), (rc, out, err)
    assert not os.path.lexists(victims / "nowhere")

    rc, out, err = b.run("download", file_id, "--force", json=True, cwd=dl, timeout=60)
    assert (rc, err) == (0, ""), (rc, out, err)
    assert_downloaded(dl)  # the link itself was replaced by the file ...
    assert_untouched(target)  # ... and nothing was written where it pointed
    assert pathlib.Path(parse_json(out)["path"]) == pathlib.Path("report.txt")
