"""test_first_touch.py -- a plugin-built program's first touches.

progs/first_touch.c makes the raw loop's first pass (every word stored,
a clwb per line, an sfence per 8 lines) over its pool's first pages, or
over every other page, and prints the page faults the loop took in its
process, the shim's included (docs/performance.md, "First touches"):

- its stores go through the views' alias and its hooks read them there
  too (api/hooks.c, read_delta; the logged flush's copy likewise), so
  its view pages are never touched: a fault fewer per page, counted by
  getrusage's minor faults in the sparse pass;
- a run of pages written in order has the next pages of the alias and
  of the media populated in batches (core/shim_populate.c), so the
  sequential pass takes about one exception per page (the model's own
  tables), not four;
- built without the plugin, under page protection, the pass's pages are
  opened at the flushes of the pages below (docs/shim.md, "Sequential
  writers"), and the view's next pages are mapped for reading in batches
  (region/shim_dirty_fault.c, shim_dirty_open_next), so the copy of each
  into its twin takes no read fault;
- populating ahead costs nothing per untouched page: the sparse pass
  makes the pool file no larger than the pages it wrote, the sequential
  one at most a batch (SHIM_POPULATE_BATCH_MAX pages) past its end.

Findings stay none either way.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import SOURCE
from test_libpmem_run import clean_env
from test_store_log import plugin_build

PROG = SOURCE / "scripts" / "tests" / "progs" / "first_touch.c"
POOL_PAGES = 2048
TOUCHED = 512
BATCH_MAX = 16  # SHIM_POPULATE_BATCH_MAX (libshim/core/shim_populate.h)


@pytest.fixture(scope="module")
def prog(tmp_path_factory, cc):
    out = tmp_path_factory.mktemp("first_touch")
    return plugin_build(cc, PROG, out / "first_touch", "-O2")


@pytest.fixture(scope="module")
def plain(tmp_path_factory, cc):
    exe = tmp_path_factory.mktemp("first_touch_plain") / "first_touch"
    subprocess.run([cc, "-g", "-O2", "-mclwb", str(PROG), "-o", str(exe)],
                   check=True)
    return exe


def run(pmemu_bin, tmp_path, exe, mode):
    """(exceptions or -1, minor faults, pool bytes allocated, report)"""
    pm = tmp_path / "pm"
    shutil.rmtree(pm, ignore_errors=True)
    pm.mkdir()
    pool = pm / "pool"
    r = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                        str(exe), str(pool), str(POOL_PAGES), str(TOUCHED),
                        mode], capture_output=True, text=True,
                       env=clean_env())
    assert r.returncode == 0, r.stderr
    faults = int(re.search(r"^faults (-?\d+)$", r.stdout, re.M).group(1))
    minflt = int(re.search(r"^minflt (\d+)$", r.stdout, re.M).group(1))
    return faults, minflt, os.stat(pool).st_blocks * 512, r.stderr.strip()


def test_the_view_is_not_touched(pmemu_bin, tmp_path, prog):
    # per page: the alias (the program's store), the media (the fence's
    # write-back), the model's tables (a line in 64 is a new one of
    # theirs: ~1); with the view read, ~4
    _, minflt, _, report = run(pmemu_bin, tmp_path, prog, "sparse")
    assert report == "pmemu: no findings"
    assert minflt < 3.5 * TOUCHED, minflt


@pytest.mark.parametrize("build", ["plugin", "plain"])
def test_a_sequential_pass_is_populated_ahead(pmemu_bin, tmp_path, prog,
                                              plain, build):
    # per page: the alias or the view's read at its twin's copy, the
    # media, the model's tables: ~3; populated ahead, ~1 (the model's)
    exe = prog if build == "plugin" else plain
    faults, _, allocated, report = run(pmemu_bin, tmp_path, exe, "seq")
    assert report == "pmemu: no findings"
    assert allocated <= (TOUCHED + BATCH_MAX) * 4096, allocated
    if faults < 0:
        pytest.skip("perf_event_open not allowed: exceptions not counted")
    assert faults < 1.5 * TOUCHED, faults


def test_sparse_pages_cost_no_more(pmemu_bin, tmp_path, prog):
    _, _, allocated, report = run(pmemu_bin, tmp_path, prog, "sparse")
    assert report == "pmemu: no findings"
    assert allocated == TOUCHED * 4096, allocated
