"""test_page_vma.py -- a page that cools down and faults again becomes a
VMA of its own (libshim/region/shim_dirty_vma.c, docs/shim.md "Hot
pages"): its later mprotects split and merge no VMA.

progs/cycle_pages.c writes pages 4 (even: marked itself) and 7 (odd: its
neighbours 6 and 8 marked) of a 64 KiB pool every 16 fences, so that
each cools down and faults again soon, then lets every page cool down
and counts the VMAs that hold the pool: one without the marks (all
read-only, merged), seven with them (0-3, 4, 5, 6, 7, 8, 9-15). The
program's findings stay none.
"""
import pathlib
import re
import subprocess

import pytest

from conftest import SOURCE
from test_libpmem_run import clean_env

PROGS = SOURCE / "scripts" / "tests" / "progs"


@pytest.fixture(scope="module")
def prog(tmp_path_factory, cc):
    exe = tmp_path_factory.mktemp("vma") / "cycle_pages"
    subprocess.run([cc, "-g", "-O1", "-I", str(PROGS),
                    str(PROGS / "cycle_pages.c"), "-o", str(exe), "-lpmem"],
                   check=True)
    return exe


def test_cycling_pages_keep_vmas_of_their_own(pmemu_bin, tmp_path, prog):
    pm = tmp_path / "pm"
    pm.mkdir()
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                          str(prog), str(pm / "pool")],
                         capture_output=True, text=True, env=clean_env())
    assert res.returncode == 0, res.stderr
    assert "pmemu: no findings" in res.stderr, res.stderr
    if not pathlib.Path("/sys/kernel/mm/transparent_hugepage").exists():
        pytest.skip("a kernel without THP refuses MADV_NOHUGEPAGE")
    assert re.findall(r"^vmas (\d+)$", res.stdout, re.M) == ["7"], res.stdout
