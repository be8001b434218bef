"""test_shim_copy_in.py -- bytes the kernel puts into a pmem file from
another descriptor (sendfile, copy_file_range, splice) or that pwritev2
writes. The view got them, but neither the model nor the media did: the
pool file after `pmemu run` lacked the bytes the program wrote natively,
and an unsynced copy was not reported. copy_file_range from a file on
the program's file system into a view (the shim's tmpfs) failed with
EXDEV, where natively it works. And truncate() of the path of an emulated
file, which cut the media alone; and fallocate(PUNCH_HOLE) or
madvise(MADV_REMOVE), which punched the view alone: the pool file after
the run kept the old bytes.
"""
import pytest

from test_shim_run import SRC, assert_no_findings, run, run_how

HOWS = ["sendfile", "copy_file_range", "splice", "pwritev2"]


def copy_line(how):
    """the line of copy_in.c that makes the copy (marked COPY)"""
    text = (SRC / "copy_in.c").read_text().splitlines()
    return next(i for i, l in enumerate(text, 1)
                if "COPY" in l and f"{how}(" in l)


def run_copy(pmemu_bin, tmp_path, prog, how):
    template = tmp_path / "template"
    template.write_bytes(bytes((i * 13 + 5) % 256 for i in range(4096)))
    res = run(pmemu_bin, tmp_path, prog,
              args=[str(tmp_path / "pmem" / "pool"), str(template), how])
    return res, template.read_bytes()


@pytest.mark.parametrize("how", HOWS)
def test_copied_bytes_reach_the_pool_file(pmemu_bin, tmp_path, how):
    res, want = run_copy(pmemu_bin, tmp_path, "copy_in_ok", how)
    assert res.stdout == f"{how} 4096\n", res.stdout + res.stderr
    assert_no_findings(res)
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == want


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_copy_is_reported_at_its_call(pmemu_bin, tmp_path, how):
    res, _ = run_copy(pmemu_bin, tmp_path, "copy_in_bad", how)
    assert res.stdout == f"{how} 4096\n", res.stdout + res.stderr
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
    assert f"at copy (copy_in.c:{copy_line(how)})" in res.stderr, \
        res.stderr


def test_truncate_by_path_is_seen_by_the_descriptor(pmemu_bin, tmp_path):
    """truncate() of an emulated file's path cut the media alone: the
    program's descriptor (a view's) still saw 8192 bytes"""
    res = run(pmemu_bin, tmp_path, "truncate_path")
    assert res.stdout == "size 4096\n", res.stdout + res.stderr
    assert_no_findings(res)
    assert (tmp_path / "pmem" / "pool").stat().st_size == 4096


PUNCHES = ["fallocate", "madvise"]


@pytest.mark.parametrize("how", PUNCHES)
def test_a_synced_punch_reaches_the_pool_file(pmemu_bin, tmp_path, how):
    assert_no_findings(run_how(pmemu_bin, tmp_path, "punch_ok", how))
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:8192] == bytes(4096)


@pytest.mark.parametrize("how", PUNCHES)
def test_an_unsynced_punch_is_reported_at_its_call(pmemu_bin, tmp_path,
                                                   how):
    res = run_how(pmemu_bin, tmp_path, "punch_bad", how)
    assert "unpersisted stores" in res.stderr, res.stderr
    text = (SRC / "punch.c").read_text().splitlines()
    lines = [i for i, l in enumerate(text, 1) if "/* PUNCH */" in l]
    line = lines[PUNCHES.index(how) ^ 1]  # madvise's call is written first
    assert f"(punch.c:{line})" in res.stderr, res.stderr
