"""test_shim_uring.py -- io_uring's reads and writes are the kernel's,
from a ring in shared memory, with no call the shim sees: a write to a
pmem file through the ring reached the view but neither the model nor
the media (unsynced: "no findings"; synced: the pool file after the run
lacked it), and an fsync through the ring was unseen. Now io_uring_setup
fails with ENOSYS and one "pmemu: error:" line, and the program's
fallback (pwrite, fsync) is what pmemu sees.
"""
import subprocess

from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           clean_env, run)

REFUSED = "pmemu: error: io_uring_setup: pmemu cannot see"


def test_the_ring_works_without_pmemu(tmp_path):
    """the program is right: natively the ring writes and syncs"""
    res = subprocess.run([str(PROGS / "uring_write_ok"),
                          str(tmp_path / "pool")], capture_output=True,
                         text=True, env=clean_env(), timeout=60)
    assert res.stdout == "ring\n", res.stdout + res.stderr


def test_synced_fallback_has_no_findings_and_reaches_the_pool(
        pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "uring_write_ok")
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert res.stderr.count(REFUSED) == 1, res.stderr
    assert_no_findings(res)
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == bytes((i * 7 + 3) % 256 for i in range(4096))


def test_unsynced_write_is_reported(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "uring_write_bad")
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert REFUSED in res.stderr, res.stderr
    assert_finding_at(res, "uring_write.c", "WRITE",
                      "unpersisted stores: 64 stores")


def test_refused_in_a_child_image_too(pmemu_bin, tmp_path):
    """a shell's child (fork + exec) has the filter and the shim again"""
    pm = tmp_path / "pmem"
    pm.mkdir()
    prog = PROGS / "uring_write_bad"
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                          "/bin/sh", "-c", f"{prog} {pm / 'pool'}; true"],
                         capture_output=True, text=True, env=clean_env(),
                         timeout=600)
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert REFUSED in res.stderr, res.stderr
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
