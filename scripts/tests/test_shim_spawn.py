"""test_shim_spawn.py -- posix_spawn and posix_spawnp given an environment
of the program's own (without LD_PRELOAD): the child ran unemulated, its
write to a pmem file went to the media unseen, "no findings" when it was
never synced. LD_PRELOAD and PMEMU_* are now put back, as for exec.
"""
import pytest

from test_shim_run import SRC, assert_no_findings, run

HOWS = ["spawn", "spawnp"]


def write_line():
    text = (SRC / "spawn_env.c").read_text().splitlines()
    return next(i for i, l in enumerate(text, 1) if "/* WRITE */" in l)


@pytest.mark.parametrize("how", HOWS)
def test_synced_child_has_no_findings(pmemu_bin, tmp_path, how):
    res = run(pmemu_bin, tmp_path, "spawn_env_ok",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert res.stdout == f"{how} done\n", res.stdout + res.stderr
    assert_no_findings(res)
    assert (tmp_path / "pmem" / "pool").read_bytes() == b"c" * 4096


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_child_write_is_reported(pmemu_bin, tmp_path, how):
    res = run(pmemu_bin, tmp_path, "spawn_env_bad",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert res.stdout == f"{how} done\n", res.stdout + res.stderr
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
    assert f"(spawn_env.c:{write_line()})" in res.stderr, res.stderr
