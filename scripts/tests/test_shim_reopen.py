"""test_shim_reopen.py -- a pmem file opened by a path that is not its
own: a symbolic link outside the pmem dir (only the link's directory was
resolved), /proc/self/fd/N of an O_PATH descriptor, /dev/fd/N of a view
descriptor (the kernel opened the view itself). Each gave the program a
descriptor of the media or of the view behind the shim: its writes and
its mapping's stores were unseen ("no findings" unsynced; through the
view, the pool file after the run lacked them). And O_TMPFILE in the pmem
dir, a file with no name the shim cannot emulate: it wrote the media
unseen. Now the links are followed to the emulated file, and O_TMPFILE
there fails with EOPNOTSUPP and one "pmemu: error:" line (the program
falls back to a file by name).

A hard link outside the pmem dir (made before the run, or by the
program's link) opened the media itself: its writes unseen, "no
findings" unsynced. Now the open is the pmem file's (the same inode).
A rename of a pmem file out of the pmem dir fails with EXDEV, as between
two file systems, and is said (the program keeps the file by name).
"""
import os

import pytest

from test_shim_run import assert_finding_at, assert_no_findings, run

HOWS = ["symlink", "opath", "procfd", "procfd_map", "tmpfile", "hardlink",
        "link", "rename"]
BY_NAME = ("tmpfile", "rename")


def run_reopen(pmemu_bin, tmp_path, prog, how):
    pm = tmp_path / "pmem"
    pm.mkdir()
    pool = pm / "pool"
    if how != "tmpfile":
        pool.write_bytes(bytes(8192))
    link = tmp_path / "link"
    if how == "hardlink":
        os.link(pool, link)
    elif how not in ("link", "rename"):
        link.symlink_to(pool)
    res = run(pmemu_bin, tmp_path, prog, args=[str(pool), how, str(link)])
    want = ("by name\n" if how in BY_NAME else "") + f"{how} done\n"
    assert res.stdout == want, res.stdout + res.stderr
    if how == "tmpfile":
        assert res.stderr.count("pmemu: error: open(") == 1, res.stderr
        assert "O_TMPFILE): a file with no name" in res.stderr
    if how == "rename":
        assert res.stderr.count("pmemu: error: rename(") == 1, res.stderr
    return res, pool


@pytest.mark.parametrize("how", HOWS)
def test_synced_reaches_the_pool_with_no_findings(pmemu_bin, tmp_path, how):
    res, pool = run_reopen(pmemu_bin, tmp_path, "reopen_ok", how)
    assert_no_findings(res)
    data = pool.read_bytes()
    n = 64 if how == "procfd_map" else 4096
    assert data[4096:4096 + n] == b"x" * n


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_is_reported_at_its_line(pmemu_bin, tmp_path, how):
    res, _ = run_reopen(pmemu_bin, tmp_path, "reopen_bad", how)
    if how == "procfd_map":
        assert_finding_at(res, "reopen.c", "STORE", "unpersisted stores")
    else:
        assert_finding_at(res, "reopen.c", "WRITE",
                          "unpersisted stores: 64 stores")
