"""Client.download never clobbers or writes through what is already there (issue 12, item 6):
an existing path needs overwrite=True (a symlink is then replaced, not followed), and a symlink
planted at PATH.part / PATH.part.meta is refused, never followed."""

import os
import stat

import pytest

import occhat

CONTENT = b"the real report\n" * 1000
VICTIM = b"precious bytes that must survive\n"


@pytest.fixture
def sent(env, tmp_path):
    """alice sent bob report.txt; returns (bob's Client, file id, bob's download dir)."""
    alice, bob = env.user("alice"), env.user("bob")
    env.befriend(alice, bob)
    src = tmp_path / "report.txt"
    src.write_bytes(CONTENT)
    file_id = occhat.Client(env.server.address, alice[1]).upload(bob[0], src).file.id
    dl = tmp_path / "dl"
    dl.mkdir()
    return occhat.Client(env.server.address, bob[1]), file_id, dl


def assert_regular_copy(path):
    assert stat.S_ISREG(os.lstat(path).st_mode), f"{path} must be a regular file"
    assert path.read_bytes() == CONTENT


def test_existing_path_needs_overwrite(sent, tmp_path):
    b, file_id, dl = sent
    target = dl / "report.txt"
    target.write_bytes(b"mine\n")
    for where in (target, dl):  # the path itself, or the directory it would be made in
        with pytest.raises(occhat.InvalidArgumentError) as info:
            b.download(file_id, where)
        assert (info.value.code, info.value.exit_code) == ("invalid_argument", 1)
        assert str(info.value) == f"{target} exists (use overwrite=True or another path)"
        assert target.read_bytes() == b"mine\n"
    assert not os.path.lexists(f"{target}.part"), "refused before anything was fetched"
    result = b.download(file_id, dl, overwrite=True)
    assert result.path == str(target)
    assert_regular_copy(target)


def test_symlink_at_path_is_replaced_only_with_overwrite(sent, tmp_path):
    b, file_id, dl = sent
    victim = tmp_path / "victim"
    victim.write_bytes(VICTIM)
    link = dl / "report.txt"
    os.symlink(victim, link)
    dangling = dl / "dangling.txt"
    os.symlink(tmp_path / "nowhere", dangling)
    for path in (link, dangling):
        with pytest.raises(occhat.InvalidArgumentError, match="exists"):
            b.download(file_id, path)
    assert not os.path.lexists(tmp_path / "nowhere")
    b.download(file_id, link, overwrite=True)
    assert_regular_copy(link)
    assert victim.read_bytes() == VICTIM, "the download was written through the link"


@pytest.mark.parametrize("resume", [False, True])
def test_planted_part_symlinks_are_refused(sent, tmp_path, resume):
    b, file_id, dl = sent
    victims = {}
    for suffix in (".part", ".part.meta"):
        victims[suffix] = tmp_path / f"victim{suffix}"
        victims[suffix].write_bytes(VICTIM)
        os.symlink(victims[suffix], dl / f"report.txt{suffix}")
    for suffix in (".part.meta", ".part"):  # the validator is looked at first
        with pytest.raises(occhat.InvalidArgumentError) as info:
            b.download(file_id, dl, resume=resume, overwrite=True)
        assert info.value.exit_code == 1
        assert str(info.value) == (f"cannot write {dl / 'report.txt'}{suffix}: it is a symbolic link "
                                   "(not followed, left as it is; remove it to download here)")
        assert os.path.islink(dl / f"report.txt{suffix}")
        for victim in victims.values():
            assert victim.read_bytes() == VICTIM
        assert not os.path.lexists(dl / "report.txt")
        (dl / f"report.txt{suffix}").unlink()
    b.download(file_id, dl, resume=resume)
    assert_regular_copy(dl / "report.txt")
    assert not os.path.lexists(dl / "report.txt.part")
