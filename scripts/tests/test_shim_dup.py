"""test_shim_dup.py -- a pmem file mapped through a copy of its
descriptor (dup, dup2, dup3, fcntl F_DUPFD, F_DUPFD_CLOEXEC) is emulated
as through the descriptor open gave. fcntl's copies were not known to
the shim: their mappings were the file itself, untracked, and a store
never flushed was not reported (a false PASS).
"""
import re

import pytest

from test_shim_run import SRC, assert_no_findings, run

HOWS = ["dup", "dup2", "dup3", "dupfd", "dupfd_cloexec"]


def bug_line():
    text = (SRC / "dup_fds.c").read_text().splitlines()
    return next(i for i, l in enumerate(text, 1) if "BUG" in l)


@pytest.mark.parametrize("how", HOWS)
def test_flushed_store_has_no_findings(pmemu_bin, tmp_path, how):
    res = run(pmemu_bin, tmp_path, "dup_fds_ok",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert_no_findings(res)


@pytest.mark.parametrize("how", HOWS)
def test_unflushed_store_is_reported_at_its_line(pmemu_bin, tmp_path, how):
    res = run(pmemu_bin, tmp_path, "dup_fds_bad",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert res.returncode == 0, res.stderr
    assert "unpersisted stores: 1 store" in res.stderr, res.stderr
    assert re.search(rf"by main \(dup_fds\.c:{bug_line()}\)|"
                     rf"at main \(dup_fds\.c:{bug_line()}\)",
                     res.stderr), res.stderr
