"""test_shim_aio.py -- POSIX asynchronous I/O on a pmem file: glibc runs
each request on a thread of its own, with pwrite and fsync called inside
libc. An aio_write (or lio_listio's LIO_WRITE) reached the view but not
the model or the media ("no findings" unsynced; the pool file after the
run lacked the bytes), and an aio_fsync was unseen (a pwrite it made
durable was reported as never persisted).
"""
import pytest

from test_shim_run import assert_finding_at, assert_no_findings, run, run_how

HOWS = ["write", "lio", "fsync"]
TAGS = {"write": "WRITE", "lio": "LIO", "fsync": "PWRITE"}


@pytest.mark.parametrize("how", HOWS)
def test_synced_reaches_the_pool_with_no_findings(pmemu_bin, tmp_path, how):
    res = run_how(pmemu_bin, tmp_path, "aio_io_ok", how)
    assert_no_findings(res)
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == b"a" * 4096


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_is_reported_at_its_call(pmemu_bin, tmp_path, how):
    res = run_how(pmemu_bin, tmp_path, "aio_io_bad", how)
    assert_finding_at(res, "aio_io.c", TAGS[how],
                      "unpersisted stores: 64 stores")


def test_aio_write_with_o_append_is_refused(pmemu_bin, tmp_path):
    """glibc's write after the shim's would append the bytes again"""
    res = run(pmemu_bin, tmp_path, "aio_io_ok",
              args=[str(tmp_path / "pmem" / "pool"), "append"])
    assert res.stdout == "append Invalid argument\n", \
        res.stdout + res.stderr
    assert "pmemu: error: aio_write to an emulated file opened with " \
        "O_APPEND" in res.stderr, res.stderr
