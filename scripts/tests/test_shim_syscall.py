"""test_shim_syscall.py -- a pmem file opened, written, mapped and synced
only through glibc's syscall() (SYS_openat, SYS_open, SYS_openat2,
SYS_pwrite64, SYS_writev, SYS_write, SYS_dup, SYS_close, SYS_mmap,
SYS_msync, SYS_fsync, SYS_fdatasync). Before, each bypassed the
interposers: the program held the media's descriptor and its writes and
stores were unseen ("no findings" unsynced). Now syscall() sends these
numbers to the interposers of the same calls.
"""
import subprocess

import pytest

from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           clean_env, run, run_how)

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


def test_openat2_keeps_its_resolve_restrictions(pmemu_bin, tmp_path):
    """openat2's RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS and RESOLVE_IN_ROOT
    (and a mode without O_CREAT) answer on a pmem file as natively; the
    opens that succeed are the view's: their unsynced writes are reported
    at their lines (resolve.c)"""
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    (native_dir / "pool").write_bytes(bytes(8192))
    native = subprocess.run([str(PROGS / "resolve"), str(native_dir)],
                            capture_output=True, text=True, timeout=60,
                            env=clean_env())
    assert native.returncode == 0, native.stderr
    assert "beneath_up: EXDEV\n" in native.stdout, native.stdout
    pm = tmp_path / "pmem"
    pm.mkdir()
    (pm / "pool").write_bytes(bytes(8192))
    res = run(pmemu_bin, tmp_path, "resolve", args=[str(pm)])
    assert res.stdout == native.stdout, res.stdout + res.stderr
    assert_finding_at(res, "resolve.c", "BENEATH", "unpersisted stores")
    assert_finding_at(res, "resolve.c", "IN_ROOT", "unpersisted stores")
