"""test_shim_spawn.py -- posix_spawn and posix_spawnp given an environment
of the program's own (without LD_PRELOAD): the child ran unemulated, its
write to a pmem file went to the media unseen, "no findings" when it was
never synced. LD_PRELOAD and PMEMU_* are now put back, as for exec.
"""
import pytest

from test_shim_run import assert_finding_at, assert_no_findings, run_how

HOWS = ["spawn", "spawnp"]


@pytest.mark.parametrize("how", HOWS)
def test_synced_child_has_no_findings(pmemu_bin, tmp_path, how):
    res = run_how(pmemu_bin, tmp_path, "spawn_env_ok", how)
    assert_no_findings(res)
    assert (tmp_path / "pmem" / "pool").read_bytes() == b"c" * 4096


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_child_write_is_reported(pmemu_bin, tmp_path, how):
    res = run_how(pmemu_bin, tmp_path, "spawn_env_bad", how)
    assert_finding_at(res, "spawn_env.c", "WRITE",
                      "unpersisted stores: 64 stores")
