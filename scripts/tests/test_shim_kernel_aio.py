"""test_shim_kernel_aio.py -- io_uring's and Linux AIO's reads and writes
are the kernel's, from a ring in shared memory or an AIO context, with
no call the shim sees: a write to a pmem file through them reached the
view but neither the model nor the media (unsynced: "no findings";
synced: the pool file after the run lacked it), and an fsync through
them was unseen. Now io_uring_setup and io_setup fail with ENOSYS and
one "pmemu: error:" line, and the program's fallback (pwrite, fsync) is
what pmemu sees.
"""
import subprocess

import pytest

from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           clean_env, run)

WAYS = {"uring": "io_uring_setup", "aio": "io_setup"}  # the refused call
WRITTEN = bytes((i * 7 + 3) % 256 for i in range(4096))


def refused(how):
    return f"pmemu: error: {WAYS[how]}: pmemu cannot see"


def run_kernel_io(pmemu_bin, tmp_path, prog, how):
    return run(pmemu_bin, tmp_path, prog,
               args=[str(tmp_path / "pmem" / "pool"), how])


@pytest.mark.parametrize("how", WAYS)
def test_the_kernel_io_works_without_pmemu(tmp_path, how):
    """the program is right: natively the kernel writes and syncs"""
    res = subprocess.run([str(PROGS / "kernel_io_ok"), str(tmp_path / "p"),
                          how], capture_output=True, text=True,
                         env=clean_env(), timeout=60)
    assert res.stdout == how + "\n", res.stdout + res.stderr


@pytest.mark.parametrize("how", WAYS)
def test_synced_fallback_has_no_findings_and_reaches_the_pool(
        pmemu_bin, tmp_path, how):
    res = run_kernel_io(pmemu_bin, tmp_path, "kernel_io_ok", how)
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert res.stderr.count(refused(how)) == 1, res.stderr
    assert_no_findings(res)
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == WRITTEN


@pytest.mark.parametrize("how", WAYS)
def test_unsynced_write_is_reported(pmemu_bin, tmp_path, how):
    res = run_kernel_io(pmemu_bin, tmp_path, "kernel_io_bad", how)
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert refused(how) in res.stderr, res.stderr
    assert_finding_at(res, "kernel_io.c", "WRITE",
                      "unpersisted stores: 64 stores")


def test_refused_in_a_child_image_too(pmemu_bin, tmp_path):
    """a shell's child (fork + exec) has the filter and the shim again"""
    pm = tmp_path / "pmem"
    pm.mkdir()
    prog = PROGS / "kernel_io_bad"
    line = f"{prog} {pm / 'pool'} uring; true"
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                          "/bin/sh", "-c", line],
                         capture_output=True, text=True, env=clean_env(),
                         timeout=600)
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert refused("uring") in res.stderr, res.stderr
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
