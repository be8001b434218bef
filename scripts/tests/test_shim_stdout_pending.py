"""test_shim_stdout_pending.py -- bytes glibc's stdout still buffered
when a dup2 made descriptor 1 a pmem file's. The shim's stream of the
view takes glibc's place there; before, glibc's buffer was flushed into
the view from inside the shim, unseen: the pool file after the run lacked
the bytes, and left unsynced they were no finding. Now they move into the
shim's stream and are written when glibc would have written them.
"""
from test_shim_run import assert_no_findings, run

TEXT = b"printed before the dup2\n"


def run_pending(pmemu_bin, tmp_path, prog):
    res = run(pmemu_bin, tmp_path, prog)
    assert res.returncode == 0 and "done\n" in res.stderr, res.stderr
    return res, (tmp_path / "pmem" / "pool").read_bytes()


def test_flushed_then_synced_reaches_the_pool(pmemu_bin, tmp_path):
    res, pool = run_pending(pmemu_bin, tmp_path, "stdout_pending_ok")
    assert_no_findings(res)
    assert pool == TEXT


def test_synced_before_the_flush_is_reported(pmemu_bin, tmp_path):
    res, pool = run_pending(pmemu_bin, tmp_path, "stdout_pending_bad")
    assert "unpersisted stores" in res.stderr, res.stderr
    assert pool == TEXT  # a clean shutdown writes them
