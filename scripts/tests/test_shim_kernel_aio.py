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

# program, what it prints natively, the refused call, the bytes it writes
WAYS = {
    "uring_write": ("ring", "io_uring_setup",
                    bytes((i * 7 + 3) % 256 for i in range(4096))),
    "kaio_write": ("linux aio", "io_setup", b"k" * 4096),
}


def refused(call):
    return f"pmemu: error: {call}: pmemu cannot see"


@pytest.mark.parametrize("prog", WAYS)
def test_the_kernel_io_works_without_pmemu(tmp_path, prog):
    """the program is right: natively the kernel writes and syncs"""
    res = subprocess.run([str(PROGS / f"{prog}_ok"), str(tmp_path / "pool")],
                         capture_output=True, text=True, env=clean_env(),
                         timeout=60)
    assert res.stdout == WAYS[prog][0] + "\n", res.stdout + res.stderr


@pytest.mark.parametrize("prog", WAYS)
def test_synced_fallback_has_no_findings_and_reaches_the_pool(
        pmemu_bin, tmp_path, prog):
    res = run(pmemu_bin, tmp_path, f"{prog}_ok")
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert res.stderr.count(refused(WAYS[prog][1])) == 1, res.stderr
    assert_no_findings(res)
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == WAYS[prog][2]


@pytest.mark.parametrize("prog", WAYS)
def test_unsynced_write_is_reported(pmemu_bin, tmp_path, prog):
    res = run(pmemu_bin, tmp_path, f"{prog}_bad")
    assert res.stdout == "fallback\n", res.stdout + res.stderr
    assert refused(WAYS[prog][1]) in res.stderr, res.stderr
    assert_finding_at(res, f"{prog}.c", "WRITE",
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
    assert refused("io_uring_setup") in res.stderr, res.stderr
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
