"""test_shim_stdio.py -- pmem files opened where open's interposer does
not see it (libshim/tests/progs/stdio_map.c).

fopen opens inside libc: the shim interposes it and gives a stream of the
view. Any other descriptor of an emulated file (a raw openat system call)
is adopted when it is mapped shared: a view descriptor takes its place.
Before either, such a program ran unemulated and got "no findings".
"""
import subprocess

import pytest

from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           clean_env, run)


def stdio(pmemu_bin, tmp_path, case, *more, prog="stdio_map"):
    pool = tmp_path / "pmem" / "pool"
    return run(pmemu_bin, tmp_path, prog, args=[case, str(pool), *more])


def native_pool(tmp_path):
    """a pool written before the run, outside pmemu"""
    (tmp_path / "pmem").mkdir()
    data = bytearray(8192)
    data[100:116] = b"natively written"
    data[5000:5008] = b"offset48"
    (tmp_path / "pmem" / "pool").write_bytes(bytes(data))
    return tmp_path / "pmem" / "pool"


def test_fopen_mapping_unflushed_store_reported(pmemu_bin, tmp_path):
    bad = stdio(pmemu_bin, tmp_path, "fopen")
    assert bad.returncode == 0, bad.stderr
    assert_finding_at(bad, "stdio_map.c", "DATA", "unpersisted stores")
    (tmp_path / "pmem" / "pool").unlink()
    ok = stdio(pmemu_bin, tmp_path, "fopen", prog="stdio_map_flushed")
    assert_no_findings(ok)
    assert (tmp_path / "pmem" / "pool").read_bytes().startswith(b"the data")


def test_fopen_r_plus_sees_the_file(pmemu_bin, tmp_path):
    pool = native_pool(tmp_path)
    res = stdio(pmemu_bin, tmp_path, "rplus")
    assert "read [natively written] mapped [natively written]" in \
        res.stdout, res.stdout + res.stderr
    assert_finding_at(res, "stdio_map.c", "RPLUS_STORE",
                      "unpersisted stores")
    data = pool.read_bytes()  # the clean shutdown wrote the store
    assert data[100:116] == b"natively written" and data[200:201] == b"x"


def test_raw_openat_mapping_adopted(pmemu_bin, tmp_path):
    res = stdio(pmemu_bin, tmp_path, "raw")
    assert res.returncode == 0, res.stderr
    assert_finding_at(res, "stdio_map.c", "RAW_STORE", "unpersisted stores")
    assert "cloexec kept" in res.stdout


def test_raw_openat_offset_and_flags_survive_adoption(pmemu_bin, tmp_path):
    native_pool(tmp_path)
    res = stdio(pmemu_bin, tmp_path, "rawoff")
    assert "read [offset48] mapped [offset48] append kept" in res.stdout, \
        res.stdout + res.stderr
    assert_finding_at(res, "stdio_map.c", "RAWOFF_STORE",
                      "unpersisted stores")


def test_mapping_that_cannot_be_adopted_fails(pmemu_bin, tmp_path):
    res = stdio(pmemu_bin, tmp_path, "deleted")
    assert "mmap failed errno ENODEV" in res.stdout, res.stdout + res.stderr
    assert "pmemu: error: " in res.stderr and "did not see opened" in \
        res.stderr, res.stderr


def test_descriptor_closed_behind_the_shim_is_forgotten(pmemu_bin,
                                                        tmp_path):
    """a raw close, the number reused: the store to the other file's
    mapping was the pool's before (a store in its trace)"""
    pm, other, trace = tmp_path / "pmem", tmp_path / "other", tmp_path / "t"
    pm.mkdir()
    rec = subprocess.run(
        [pmemu_bin, "record", "-o", str(trace), "--pmem-dir", str(pm), "--",
         str(PROGS / "stdio_map"), "stale", str(pm / "pool"), str(other)],
        capture_output=True, text=True, env=clean_env(), timeout=600)
    assert "outside mapped" in rec.stdout, rec.stdout + rec.stderr
    assert other.read_bytes()[:1] == b"s"
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, check=True)
    assert " store " not in dump.stdout, dump.stdout


def test_fopen_outside_the_pmem_dir_untouched(pmemu_bin, tmp_path):
    (tmp_path / "pmem").mkdir()
    pool, other = tmp_path / "pmem" / "pool", tmp_path / "other"
    res = stdio(pmemu_bin, tmp_path, "other", str(other))
    assert f"{other}: fd names {other}\n" in res.stdout, \
        res.stdout + res.stderr
    # the pool's descriptor is its view's, but its link names the file,
    # as natively (shim_file_stat.c)
    assert f"{pool}: fd names {pool}\n" in res.stdout, res.stdout
    assert_no_findings(res)
    assert other.read_bytes()[:1] == b"o"
    assert pool.read_bytes()[:1] == b"o"


def test_unknown_mode_on_a_pmem_path_is_einval(pmemu_bin, tmp_path):
    native_pool(tmp_path)
    res = stdio(pmemu_bin, tmp_path, "badmode")
    assert "fopen failed errno EINVAL" in res.stdout, res.stdout
    assert "freopen failed errno ENOTSUP" in res.stdout, res.stdout
    assert 'pmemu: error: fopen("' in res.stderr, res.stderr
    assert "r+,ccs=UTF-8" in res.stderr


def test_stream_left_open_at_exit_reaches_the_media(pmemu_bin, tmp_path):
    """exit flushes stdio after the shim's destructor: the shim flushes
    first, so the bytes are traced writes and the media gets them"""
    res = stdio(pmemu_bin, tmp_path, "fwrite")
    assert res.returncode == 0, res.stderr
    assert "unpersisted stores" in res.stderr, res.stderr  # no fsync
    assert (tmp_path / "pmem" / "pool").read_bytes() == b"written by stdio"


def test_fdopen_of_a_view_writes_traced(pmemu_bin, tmp_path):
    """glibc's stream would write to the view unseen: no finding, and the
    media never got the bytes"""
    res = stdio(pmemu_bin, tmp_path, "fdopen")
    assert "append set" in res.stdout, res.stdout + res.stderr
    assert_finding_at(res, "stdio_map.c", "FDOPEN_FLUSH",
                      "unpersisted stores")
    assert (tmp_path / "pmem" / "pool").read_bytes() == \
        b"written by fdopen"


@pytest.mark.parametrize("form", ["{pmem}", "own"])
def test_explore_finds_the_fopen_bug(pmemu_bin, tmp_path, form):
    """the check's fopen of the program's own path (PMEMU_IMAGE) opens
    the crash image's file too"""
    for prog, code in (("stdio_map", 1), ("stdio_map_flushed", 0)):
        pm = tmp_path / prog
        pm.mkdir()
        exe = str(PROGS / prog)
        target = "{pmem}" if form == "{pmem}" else str(pm / "pool")
        res = subprocess.run(
            [pmemu_bin, "explore", "--no-progress", "--pmem-dir", str(pm),
             "--check", f"{exe} check {target}", "--", exe, "fopen",
             str(pm / "pool")], capture_output=True, text=True,
            env=clean_env(TMPDIR=str(tmp_path)), timeout=600)
        assert res.returncode == code, res.stdout + res.stderr
        if code:
            assert "the flag without the data" in res.stdout, res.stdout
