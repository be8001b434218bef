"""test_shim_syscall.py -- a pmem file opened, written, mapped and synced
only through glibc's syscall() (SYS_openat, SYS_open, SYS_openat2,
SYS_pwrite64, SYS_writev, SYS_write, SYS_dup, SYS_close, SYS_mmap,
SYS_msync, SYS_fsync, SYS_fdatasync). Before, each bypassed the
interposers: the program held the media's descriptor and its writes and
stores were unseen ("no findings" unsynced). Now syscall() sends these
numbers to the interposers of the same calls.
"""
import pytest

from test_shim_run import assert_finding_at, assert_no_findings, run_how

HOWS = ["write", "writev", "dup", "openat2", "map"]
TAGS = {"write": "PWRITE", "writev": "WRITEV", "dup": "WRITE",
        "openat2": "WRITE", "map": "STORE"}


def run_raw(pmemu_bin, tmp_path, prog, how):
    (tmp_path / "pmem").mkdir()
    pool = tmp_path / "pmem" / "pool"
    pool.write_bytes(bytes(8192))
    return run_how(pmemu_bin, tmp_path, prog, how), pool


@pytest.mark.parametrize("how", HOWS)
def test_synced_reaches_the_pool_with_no_findings(pmemu_bin, tmp_path, how):
    res, pool = run_raw(pmemu_bin, tmp_path, "raw_syscalls_ok", how)
    assert_no_findings(res)
    n = 64 if how == "map" else 4096
    assert pool.read_bytes()[4096:4096 + n] == b"x" * n


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_is_reported_at_its_line(pmemu_bin, tmp_path, how):
    res, _ = run_raw(pmemu_bin, tmp_path, "raw_syscalls_bad", how)
    cls = ("unpersisted stores" if how == "map"
           else "unpersisted stores: 64 stores")
    assert_finding_at(res, "raw_syscalls.c", TAGS[how], cls)
