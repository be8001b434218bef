"""test_trace_validation.py -- corrupt and forged traces: corruption is
exit 2 naming the file and the offset, a killed writer's tail is a
truncation, and a record with a valid checksum but absurd fields is
refused before anything loops over it or creates a file of its size
(docs/trace-format.md, "Validation")."""
import json
import os
import resource
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace, crc32c  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")
REC_RESIZE, REC_BASE = 33, 42
MAX_REGION_LEN = 1 << 38  # TRACE_REGION_MAX_LEN
# a forged length must not make pmemu grow: old code passed 1 GiB here
MEMORY_LIMIT = 1 << 30


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def pmemu(*args, tmp=None):
    env = dict(os.environ)
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return subprocess.run([PMEMU, *map(str, args)], capture_output=True,
                          text=True, env=env, preexec_fn=limit_memory)


def explore(trace, tmp):
    return pmemu("explore", "--trace", trace, "--check", "true {pmem}",
                 tmp=tmp)


def small_trace(tmp_path, extra=None, end=True):
    """a region, a store, a flush, a fence: records at known offsets"""
    pool = tmp_path / "pool.img"
    pool.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(pool), 4096)
    t.store(0, b"ABCDEFGH")
    t.clwb(0)
    if extra:
        extra(t)
    t.sfence()
    if end:
        t.end()
    return t


def offsets(data):
    """the offset of every record of an encoded trace"""
    out, pos = [], 128
    while pos < len(data):
        out.append(pos)
        pos += struct.unpack_from("<I", data, pos)[0]
    return out


def reseal(data, off):
    """the record at off with its checksum made valid again"""
    length = struct.unpack_from("<I", data, off)[0]
    rec = bytearray(data[off:off + length])
    struct.pack_into("<II", rec, 16, 0, 0)
    struct.pack_into("<I", rec, 16, crc32c(bytes(rec)))
    struct.pack_into("<I", rec, 20, 0x5245434D)
    return data[:off] + bytes(rec) + data[off + length:]


def assert_error_at(r, path, off, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("pmemu: error: trace %s:" % path), r.stderr
    assert "at offset %d" % off in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_a_corrupt_first_length_is_corruption_not_truncation(tmp_path):
    data = bytearray(small_trace(tmp_path).encode())
    struct.pack_into("<I", data, 128, 0xFFFFFFF8)
    path = tmp_path / "t.trace"
    path.write_bytes(bytes(data))
    assert_error_at(explore(path, tmp_path), path, 128, "bad length")


def test_a_bad_seal_in_the_middle_is_corruption(tmp_path):
    data = small_trace(tmp_path).encode()
    second = offsets(data)[1]
    bad = bytearray(data)
    struct.pack_into("<I", bad, second + 20, 0x12345678)
    path = tmp_path / "t.trace"
    path.write_bytes(bytes(bad))
    assert_error_at(explore(path, tmp_path), path, second, "bad seal")


def test_an_unsealed_record_before_the_end_record_is_corruption(tmp_path):
    data = small_trace(tmp_path).encode()
    second = offsets(data)[1]
    bad = bytearray(data)
    struct.pack_into("<II", bad, second + 16, 0, 0)
    path = tmp_path / "t.trace"
    path.write_bytes(bytes(bad))
    assert_error_at(explore(path, tmp_path), path, second, "never sealed")


def test_an_unsealed_tail_is_a_killed_writer(tmp_path):
    data = small_trace(tmp_path, end=False).encode()
    last = offsets(data)[-1]
    cut = bytearray(data)
    struct.pack_into("<II", cut, last + 16, 0, 0)  # reserved, never sealed
    path = tmp_path / "t.trace"
    path.write_bytes(bytes(cut))
    r = pmemu("explore", "--trace", path, "--check", "true {pmem}",
              "--json", tmp_path / "r.json", tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["trace_truncated"] is True
    assert any("byte %d" % last in n for n in rep["notes"]), rep["notes"]


def test_a_checksum_error_followed_by_records_is_corruption(tmp_path):
    data = small_trace(tmp_path).encode()
    second = offsets(data)[1]
    bad = bytearray(data)
    bad[second + 24 + 24] ^= 0x40  # a data byte of the store
    path = tmp_path / "t.trace"
    path.write_bytes(bytes(bad))
    assert_error_at(explore(path, tmp_path), path, second, "checksum")


def forged(tmp_path, extra):
    """a trace whose record after the flush is `extra`, checksum valid"""
    t = small_trace(tmp_path, extra)
    path = t.write(tmp_path / "forged.trace")
    return path, offsets(open(path, "rb").read())[3]


def test_a_flush_of_4_gib_is_refused_without_spinning(tmp_path):
    path, off = forged(tmp_path, lambda t: t.clwb(0, 0xFFFFFFFF))
    assert_error_at(explore(path, tmp_path), path, off, "invalid clwb",
                    "outside region 0")


def test_a_range_that_wraps_around_is_refused(tmp_path):
    path, off = forged(tmp_path, lambda t: t.event(
        "msync", 0xFFFFFFFFFFFFF000, 0x2000))
    assert_error_at(explore(path, tmp_path), path, off, "wraps around")


def test_an_event_in_an_undeclared_region_is_refused(tmp_path):
    path, off = forged(tmp_path, lambda t: t.store(0, b"x" * 8, region=7))
    assert_error_at(explore(path, tmp_path), path, off,
                    "region 7 was never declared")


def resize(length, region=0):
    return lambda t: t._rec(REC_RESIZE, struct.pack("<IIQ", region, 0,
                                                    length))


def big_files(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
            if os.path.getsize(os.path.join(d, f)) > (1 << 30)]


@pytest.mark.parametrize("command", ["explore", "replay"])
def test_a_resize_to_1_tib_is_refused_and_creates_no_file(tmp_path,
                                                          command):
    path, off = forged(tmp_path, resize(1 << 40))
    if command == "explore":
        r = explore(path, tmp_path)
    else:
        r = pmemu("replay", "--trace", path, "--state", "5", "-o",
                  tmp_path / "out", tmp=tmp_path)
    assert_error_at(r, path, off, "invalid resize", "over the maximum")
    assert big_files(tmp_path) == []


def test_a_region_longer_than_the_free_space_is_refused(tmp_path):
    st = os.statvfs(tmp_path)
    length = st.f_bavail * st.f_frsize + (1 << 30)
    if length > MAX_REGION_LEN:
        pytest.skip("more free space than the maximum region length")
    path, _ = forged(tmp_path, resize(length))
    r = explore(path, tmp_path)
    assert r.returncode == 2, r.stderr
    assert "No space left on device" in r.stderr, r.stderr
    assert big_files(tmp_path) == []


def test_a_base_page_of_an_undeclared_region_is_refused(tmp_path):
    body = struct.pack("<IIQQ", 3, 0, 0, 8) + b"x" * 8
    path, off = forged(tmp_path, lambda t: t._rec(REC_BASE, body))
    assert_error_at(explore(path, tmp_path), path, off, "invalid base")


def test_a_site_with_more_frames_than_its_body_is_refused(tmp_path):
    body = struct.pack("<II", 5, 1000) + b"\0" * 16
    path, off = forged(tmp_path, lambda t: t._rec(35, body))
    r = pmemu("trace-dump", path)
    assert_error_at(r, path, off, "invalid site", "1000 frames")


def test_trace_dump_escapes_the_strings_of_the_trace(tmp_path):
    t = small_trace(tmp_path, lambda t: t.marker("\x1b]0;owned\x07x"))
    t.program = "\x1b[31mred\x9b"
    r = pmemu("trace-dump", t.write(tmp_path / "t.trace"))
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "program=\\x1b[31mred\\xc2\\x9b " in r.stdout, r.stdout
    assert '"\\x1b]0;owned\\x07x"' in r.stdout, r.stdout


def shard_reports(tmp_path):
    trace = small_trace(tmp_path).write(tmp_path / "t.trace")
    paths = []
    for k in (1, 2):
        p = tmp_path / ("s%d.json" % k)
        r = pmemu("explore", "--trace", trace, "--check", "true {pmem}",
                  "--shard", "%d/2" % k, "--json", p, tmp=tmp_path)
        assert r.returncode == 0, r.stderr
        paths.append(p)
    return paths


def test_merge_refuses_a_missing_shard(tmp_path):
    one, two = shard_reports(tmp_path)
    r = pmemu("merge", one)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("pmemu: error: merge:"), r.stderr
    assert "2/2" in r.stderr, r.stderr
    assert pmemu("merge", one, two).returncode == 0


def test_merge_refuses_shard_5_of_2(tmp_path):
    one, two = shard_reports(tmp_path)
    rep = json.loads(two.read_text())
    rep["options"]["shard"]["k"] = 5
    rep["shards"] = [{"k": 5, "n": 2}]
    two.write_text(json.dumps(rep))
    r = pmemu("merge", one, two)
    assert r.returncode == 2, r.stderr
    assert "5/2" in r.stderr, r.stderr


@pytest.mark.parametrize("value", [" 2", "\t2", "2 "])
def test_numbers_are_digits_only_as_in_the_shim(tmp_path, value):
    """one parser (common.h) for the CLI's numbers and PMEMU_* values"""
    trace = small_trace(tmp_path).write(tmp_path / "t.trace")
    r = pmemu("explore", "--trace", trace, "--check", "true {pmem}",
              "--jobs", value, tmp=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("pmemu: error:"), r.stderr


def test_a_site_of_an_undeclared_image_is_refused(tmp_path):
    """ids index tables: an id of an image no PROCESS record declared
    (image 255's sites start at 255 << 16) would grow them for nothing"""
    path, off = forged(tmp_path, lambda t: t.site_src(0xFF0001, "x.c",
                                                      "f", 1))
    assert_error_at(explore(path, tmp_path), path, off, "invalid site-src",
                    "image 255, which no process record declared")
