"""test_shim_aio.py -- POSIX asynchronous I/O on a pmem file: glibc runs
each request on a thread of its own, with pwrite and fsync called inside
libc. An aio_write (or lio_listio's LIO_WRITE) reached the view but not
the model or the media ("no findings" unsynced; the pool file after the
run lacked the bytes), and an aio_fsync was unseen (a pwrite it made
durable was reported as never persisted).
"""
import pytest

from test_shim_run import SRC, assert_no_findings, run

HOWS = ["write", "lio", "fsync"]
TAGS = {"write": "WRITE", "lio": "LIO", "fsync": "PWRITE"}


def line_of(tag):
    text = (SRC / "aio_io.c").read_text().splitlines()
    return next(i for i, l in enumerate(text, 1) if f"/* {tag} */" in l)


@pytest.mark.parametrize("how", HOWS)
def test_synced_reaches_the_pool_with_no_findings(pmemu_bin, tmp_path, how):
    res = run(pmemu_bin, tmp_path, "aio_io_ok",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert res.stdout == f"{how} done\n", res.stdout + res.stderr
    assert_no_findings(res)
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == b"a" * 4096


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_is_reported_at_its_call(pmemu_bin, tmp_path, how):
    res = run(pmemu_bin, tmp_path, "aio_io_bad",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert res.stdout == f"{how} done\n", res.stdout + res.stderr
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
    assert f"(aio_io.c:{line_of(TAGS[how])})" in res.stderr, res.stderr


def test_aio_write_with_o_append_is_refused(pmemu_bin, tmp_path):
    """glibc's write after the shim's would append the bytes again"""
    res = run(pmemu_bin, tmp_path, "aio_io_ok",
              args=[str(tmp_path / "pmem" / "pool"), "append"])
    assert res.stdout == "append Invalid argument\n", \
        res.stdout + res.stderr
    assert "pmemu: error: aio_write to an emulated file opened with " \
        "O_APPEND" in res.stderr, res.stderr
