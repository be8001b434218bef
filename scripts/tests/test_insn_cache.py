"""test_insn_cache.py -- the scan cache (libshim/insn/insn_cache.c) end to
end: a program run again takes its patch sites from the cache and behaves the
same (every site patched, the same finding at the same line); a corrupt
cache file is ignored and rewritten; PMEMU_CACHE_DIR= (empty) keeps no
cache. docs/raw-instructions.md, "The scan cache"."""
import os
import re
import shutil
import subprocess

from conftest import BUILD

PROGS = BUILD / "raw-progs"
ERROR_EXIT = 3
MAGIC = b"pmemuscn"


def run(pmemu_bin, prog, tmp_path, cache):
    d = tmp_path / "pmem"
    if d.exists():  # a fresh pool: the same stores again are new stores
        shutil.rmtree(d)
    d.mkdir()
    env = dict(os.environ, PMEMU_CACHE_DIR=str(cache))
    return subprocess.run([pmemu_bin, "run", "--pmem-dir", str(d),
                           f"--error-exitcode={ERROR_EXIT}", "--",
                           str(PROGS / prog), str(d / "pool")],
                          capture_output=True, text=True, env=env)


def patched(res):
    m = re.search(r"patched (\d+) of (\d+)", res.stderr)
    assert m, res.stderr
    return m.group(1), m.group(2)


def test_second_run_takes_the_cache(pmemu_bin, tmp_path):
    cache = tmp_path / "cache"
    first = run(pmemu_bin, "raw_emul", tmp_path, cache)
    done, total = patched(first)
    assert done == total and total != "0", first.stderr
    files = sorted(cache.iterdir())
    assert files and all(f.read_bytes().startswith(MAGIC) for f in files)
    stamps = [f.stat().st_mtime_ns for f in files]
    second = run(pmemu_bin, "raw_emul", tmp_path, cache)
    assert patched(second) == (done, total)
    assert second.stdout == first.stdout
    assert sorted(cache.iterdir()) == files  # read, not written again
    assert [f.stat().st_mtime_ns for f in files] == stamps


def finding_line(res):
    assert res.returncode == ERROR_EXIT, res.stderr
    assert "unpersisted stores" in res.stderr, res.stderr
    return re.search(r"\(raw_clwb\.c:(\d+)\)", res.stderr).group(1)


def capstone_mapped(pmemu_bin, tmp_path, cache):
    """whether libcapstone is mapped in a program run under the shim"""
    d = tmp_path / "pmem"
    d.mkdir(exist_ok=True)
    env = dict(os.environ, PMEMU_CACHE_DIR=str(cache))
    res = subprocess.run([pmemu_bin, "run", "--quiet", "--pmem-dir", str(d),
                          "--", "cat", "/proc/self/maps"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert "libpmemu" in res.stdout, res.stdout
    return "libcapstone" in res.stdout


def test_decoder_loaded_only_on_a_cache_miss(pmemu_bin, tmp_path):
    """capstone is loaded (dlopen) for a module the cache does not hold,
    not by every process: linked, it cost each ~1.3 ms of CPU and ~375
    page faults at load"""
    cache = tmp_path / "cache"
    assert capstone_mapped(pmemu_bin, tmp_path, cache)  # cold: decodes
    assert not capstone_mapped(pmemu_bin, tmp_path, cache)  # warm
    assert capstone_mapped(pmemu_bin, tmp_path, "")  # no cache at all


def test_corrupt_file_is_ignored_and_rewritten(pmemu_bin, tmp_path):
    cache = tmp_path / "cache"
    line = finding_line(run(pmemu_bin, "raw_clwb_buggy", tmp_path, cache))
    files = sorted(cache.iterdir())
    good = {f: f.read_bytes() for f in files}
    for f in files:  # the same length, other bytes: the checksum fails
        data = bytearray(good[f])
        data[-1] ^= 0xff
        f.write_bytes(bytes(data))
    assert finding_line(run(pmemu_bin, "raw_clwb_buggy", tmp_path,
                            cache)) == line
    assert {f: f.read_bytes() for f in files} == good
    for f in files:  # a foreign file under the right name
        f.write_bytes(b"not a cache file")
    assert finding_line(run(pmemu_bin, "raw_clwb_buggy", tmp_path,
                            cache)) == line
    assert {f: f.read_bytes() for f in files} == good


def test_empty_cache_dir_keeps_none(pmemu_bin, tmp_path):
    cwd_before = set(os.listdir(tmp_path))
    res = run(pmemu_bin, "raw_emul", tmp_path, "")
    done, total = patched(res)
    assert done == total
    assert set(os.listdir(tmp_path)) - cwd_before <= {"pmem"}


def test_unwritable_cache_dir_still_scans(pmemu_bin, tmp_path):
    res = run(pmemu_bin, "raw_emul", tmp_path, "/proc/pmemu-no-cache")
    done, total = patched(res)
    assert done == total and total != "0"


def test_cache_keeps_at_most_1024_files_dropping_the_oldest(pmemu_bin,
                                                            tmp_path):
    """Every rebuilt program or library adds a file: past 1024 the oldest
    written go (down to 768), the ones just written stay."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for i in range(1100):
        stale = cache / ("%016x.scan" % i)
        stale.write_bytes(MAGIC)
        os.utime(stale, (946684800 + i, 946684800 + i))  # year 2000
    res = run(pmemu_bin, "raw_emul", tmp_path, cache)
    done, total = patched(res)
    assert done == total and total != "0", res.stderr
    files = list(cache.iterdir())
    assert 768 <= len(files) < 1024
    fresh = [f for f in files if f.stat().st_mtime > 946684800 + 1100]
    assert fresh and all(f.read_bytes().startswith(MAGIC) and
                         len(f.read_bytes()) > len(MAGIC) for f in fresh)
    kept = sorted(int(f.stem, 16) for f in files if f not in fresh)
    # the oldest went first: what is left of the stale ones is the newest
    assert kept == list(range(1100 - len(kept), 1100))
    # a second run reads the cache: nothing is written or pruned
    before = sorted(f.name for f in cache.iterdir())
    run(pmemu_bin, "raw_emul", tmp_path, cache)
    assert sorted(f.name for f in cache.iterdir()) == before
