"""fallocate and posix_fallocate of an emulated file (shim_allocate.c),
and files too big for pmemu or for the room its views have (shim_view.c).

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


def allocate(pmemu_bin, pmem, views, how, native=False, mib=MIB,
             opts=(), code=0):
    """allocate POOL HOW MIB VIEWDIR, under pmemu run unless native"""
    prog = [str(PROGS / "allocate"), str(pmem / "pool"), how, str(mib),
            str(views)]
    cmd = prog if native else [pmemu_bin, "run", *opts, "--pmem-dir",
                               str(pmem), "--"] + prog
    env = clean_env(PMEMU_TMPDIR=str(views))
    res = subprocess.run(cmd, capture_output=True, text=True, env=env,
                         timeout=600)
    assert res.returncode == code, res.stdout + res.stderr
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


def test_a_file_over_the_limit_stops_the_run_saying_so(pmemu_bin, dirs):
    """a trace declares files of up to 256 GiB: a bigger one stopped the
    run with the report refused ("invalid resize record") and "ended
    without pmemu's shutdown"; now one line says why, at the call"""
    pmem, views = dirs
    res = allocate(pmemu_bin, pmem, views, "ftruncate", mib=512 << 10,
                   code=2)
    assert "is 512 GiB: pmemu emulates files of at most 256 GiB" in \
        res.stderr, res.stderr
    assert "invalid" not in res.stderr and "shutdown" not in res.stderr
    assert (pmem / "pool").stat().st_size == 0  # the media untouched


def test_a_view_bigger_than_its_room_is_noted(pmemu_bin, dirs):
    """a view's pages come at their first store: a file bigger than the
    room where the views are gets a note, since a store past that room
    dies of SIGBUS (not with --quiet)"""
    pmem, views = dirs
    mib = 200 << 10
    free = os.statvfs(views)
    if free.f_bavail * free.f_frsize >= mib << 20:
        pytest.skip("the views' file system has room for 200 GiB")
    res = allocate(pmemu_bin, pmem, views, "ftruncate", mib=mib)
    assert_no_findings(res)
    assert f"pmemu: note: {pmem / 'pool'} is {mib} MiB, more than the " \
        in res.stderr, res.stderr
    assert "dies of SIGBUS" in res.stderr
    (pmem / "pool").unlink()
    quiet = allocate(pmemu_bin, pmem, views, "ftruncate", mib=mib,
                     opts=["--quiet"])
    assert "note" not in quiet.stderr, quiet.stderr
    (pmem / "pool").unlink()
    small = allocate(pmemu_bin, pmem, views, "ftruncate", mib=1)
    assert "note" not in small.stderr, small.stderr
