"""fallocate and posix_fallocate of an emulated file (shim_allocate.c).

Before, the call went to the view (the shim's shadow on tmpfs), which
allocated and cleared every page of the pool in memory (a 1 GiB
libpmemobj pool: 1 GiB of tmpfs and ~0.5 s), while the pool file itself
stayed sparse, unlike natively. Now the file gets the blocks, as
natively, and the view only grows.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from test_shim_run import BUILD, PROGS, assert_no_findings, clean_env

MIB = 256


@pytest.fixture
def dirs():
    """(pmem dir, views dir): the pmem dir on the build's file system, the
    views on tmpfs, as pmemu keeps them by default"""
    pmem = Path(tempfile.mkdtemp(prefix="test-allocate-", dir=BUILD))
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    views = Path(tempfile.mkdtemp(prefix="pmemu-test-views-", dir=shm))
    yield pmem, views
    shutil.rmtree(pmem, ignore_errors=True)
    shutil.rmtree(views, ignore_errors=True)


def allocate(pmemu_bin, pmem, views, how, native=False):
    """allocate POOL HOW MIB VIEWDIR, under pmemu run unless native"""
    prog = [str(PROGS / "allocate"), str(pmem / "pool"), how, str(MIB),
            str(views)]
    cmd = prog if native else [pmemu_bin, "run", "--pmem-dir", str(pmem),
                               "--"] + prog
    env = clean_env(PMEMU_TMPDIR=str(views))
    res = subprocess.run(cmd, capture_output=True, text=True, env=env,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def fields(res):
    """HOW RET grew KIB size BYTES -> (how, ret, kib, size)"""
    how, ret, _, grew, _, size = res.stdout.split()
    return how, int(ret), int(grew), int(size)


@pytest.mark.parametrize("how,size", [("fallocate", MIB << 20),
                                      ("posix_fallocate", MIB << 20),
                                      ("keep_size", 0)])
def test_the_pool_file_gets_the_blocks(pmemu_bin, dirs, how, size):
    pmem, views = dirs
    res = allocate(pmemu_bin, pmem, views, how)
    assert_no_findings(res)
    assert fields(res)[::3] == (how, size), res.stdout
    assert fields(res)[1] == 0, res.stdout
    st = (pmem / "pool").stat()
    assert st.st_size == size
    assert st.st_blocks * 512 >= MIB << 20, st  # sparse before
    if size:
        pool = (pmem / "pool").open("rb")
        assert pool.read(1) == b"a"
        pool.seek(size - 1)
        assert pool.read(1) == b"z"
    (pmem / "pool").unlink()
    native = allocate(pmemu_bin, pmem, views, how, native=True)
    assert fields(native)[::3] == fields(res)[::3]
    assert (pmem / "pool").stat().st_blocks * 512 >= MIB << 20


def test_the_view_is_not_allocated(pmemu_bin, dirs):
    pmem, views = dirs
    if pmem.stat().st_dev == views.stat().st_dev:
        pytest.skip("the pmem dir and the views share a file system")
    res = allocate(pmemu_bin, pmem, views, "posix_fallocate")
    assert_no_findings(res)
    grew = fields(res)[2]
    assert grew < (MIB << 10) // 2, res.stdout  # MIB << 10 KiB before


def test_a_read_only_descriptor_fails_as_natively(pmemu_bin, dirs):
    pmem, views = dirs
    res = allocate(pmemu_bin, pmem, views, "rdonly")
    native = allocate(pmemu_bin, pmem, views, "rdonly", native=True)
    assert res.stdout == native.stdout == "rdonly -1 Bad file descriptor\n"
