"""test_shim_sync_all.py -- sync() and syncfs() make every file (on a
file system) durable, written or stored to through a mapping; pmemu did
not see them and reported both stores as never persisted (a false
alarm). They are now an fsync of every emulated file (on that file
system). And a write on a descriptor opened with O_SYNC or O_DSYNC, or a
pwritev2 with RWF_DSYNC, durable when it returns: reported too.
"""
import pytest

from test_shim_run import assert_finding_at, assert_no_findings, run_how

HOWS = ["sync", "syncfs"]


@pytest.mark.parametrize("how", HOWS)
def test_synced_has_no_findings(pmemu_bin, tmp_path, how):
    assert_no_findings(run_how(pmemu_bin, tmp_path, "sync_all_ok", how))
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[:5] == b"hello" and pool[4096:4097] == b"s"


def test_without_them_both_are_reported(pmemu_bin, tmp_path):
    res = run_how(pmemu_bin, tmp_path, "sync_all_bad", "sync")
    assert_finding_at(res, "sync_all.c", "WRITE", "unpersisted stores")
    assert_finding_at(res, "sync_all.c", "STORE", "unpersisted stores")


@pytest.mark.parametrize("how", ["osync", "odsync", "rwf_dsync"])
def test_a_synchronous_write_has_no_findings(pmemu_bin, tmp_path, how):
    assert_no_findings(run_how(pmemu_bin, tmp_path, "sync_flags", how))
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == b"y" * 4096


def test_a_plain_write_is_reported(pmemu_bin, tmp_path):
    res = run_how(pmemu_bin, tmp_path, "sync_flags", "plain")
    assert_finding_at(res, "sync_flags.c", "WRITE",
                      "unpersisted stores: 64 stores")
