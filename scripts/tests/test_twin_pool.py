"""test_twin_pool.py -- twins of open pages taken from a pool.

A page opened for writing copies itself to a twin; the settle that
protects it again gives the twin back to a pool of resident pages
(libshim/region/shim_dirty_twin.c), and the next page opened takes it:
no fault for a fresh page per opening. libshim/tests/progs/twin_pool.c
checks that a recycled twin holds its new page's content (the page's
diff names exactly its own stores), that pages opened past the pool's
size use their mapping's own area, and that a pool written over and
over does not refault its twins.
"""
import re
import subprocess

import pytest

from test_shim_run import PROGS, clean_env, run

PAGE = 4096
POOL, BATCH = 4096, 256  # twin_pool.c, shim_dirty_twin.c
MANY = 4496
QUEUED = POOL + BATCH


def stores(pmemu_bin, tmp_path, *args):
    """the file offsets of the STORE events of a recorded run"""
    pm = tmp_path / "pmem"
    pm.mkdir()
    trace = tmp_path / "trace"
    rec = subprocess.run(
        [pmemu_bin, "record", "--pmem-dir", str(pm), "-o", str(trace),
         "--", str(PROGS / "twin_pool"), str(pm / "pool"), *args],
        capture_output=True, text=True, env=clean_env(), timeout=600)
    assert rec.returncode == 0, rec.stderr
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, check=True)
    return [int(m, 16) for m in re.findall(r"^\S+ store .* off=(0x[0-9a-f]+)",
                                           dump.stdout, re.M)]


def one_line_unpersisted(res, off):
    assert re.findall(r"^\[\d+\] .*first at pool\+(0x[0-9a-f]+)$",
                      res.stderr, re.M) == [hex(off)], res.stderr
    assert "1 store, 1 line," in res.stderr, res.stderr


def test_a_recycled_twin_holds_its_new_page(pmemu_bin, tmp_path):
    # page 0's twin ('a's) goes to page 5 (zeros): a twin not refilled
    # would make all 64 lines of page 5 look stored
    offs = stores(pmemu_bin, tmp_path, "reuse")
    assert sorted(offs) == list(range(0, PAGE, 64)) + [5 * PAGE + 3 * 64]


def test_more_pages_open_than_the_pool_holds(pmemu_bin, tmp_path):
    # 4,496 pages filled at once, then line 1 of 4,352 more and of the
    # 144 whose twins were still queued, then line 2 of those 144: a
    # twin given back under an open page loses that page's stores
    offs = stores(pmemu_bin, tmp_path, "many")
    line1 = [pg * PAGE + 64 for pg in range(QUEUED, MANY + POOL + BATCH)]
    line2 = [pg * PAGE + 128 for pg in range(QUEUED, MANY)]
    assert sorted(offs) == sorted(list(range(0, MANY * PAGE, 64)) + line1 +
                                  line2)


@pytest.mark.parametrize("mode,off", [("reuse", 5 * PAGE + 3 * 64),
                                      ("many", 4400 * PAGE + 128)])
def test_a_missed_flush_on_a_pooled_twin_is_found(pmemu_bin, tmp_path, mode,
                                                  off):
    pool = tmp_path / "pmem" / "pool"
    assert "pmemu: no findings" in run(pmemu_bin, tmp_path, "twin_pool",
                                       args=[str(pool), mode]).stderr
    res = run(pmemu_bin, tmp_path, "twin_pool", args=[str(pool), mode, "miss"])
    one_line_unpersisted(res, off)


def test_a_pool_written_again_does_not_refault_its_twins(pmemu_bin,
                                                         tmp_path):
    # 8,192 pages opened and settled one by one, twice: a twin given back
    # to the kernel at each settle faulted again at the next opening
    # (4,219 faults in the second pass before the pool, 129 with it)
    pool = tmp_path / "pmem" / "pool"
    res = run(pmemu_bin, tmp_path, "twin_pool", args=[str(pool), "faults"])
    assert "pmemu: no findings" in res.stderr, res.stderr
    assert int(res.stdout) < 1024, res.stdout
