"""test_seq_pages.py -- pages opened at a flush, not by a fault.

progs/seq_pages.c stores, flushes and fences every line of 16 pages in
turn. Past the first pages, each page is opened when the flush of the
last line of the page below finds it changed (docs/shim.md, "Sequential
writers"): no write fault, no signal; its stores are found by the
compare at the flushes and fences. One line of page 9 left unflushed
(its first, a middle one, its last) must be reported once, at its offset
and at the loop's store, in both builds; the program without it reports
nothing. Without the opening at the flush, each page costs a signal
(counted with strace -c, as test_plugin_hot.py counts mprotect calls).
"""
import re
import shutil
import subprocess

import pytest

from conftest import SOURCE
from test_findings_report import BUILDS, build_both, line_of
from test_hot_stray import fences_after, one_unpersisted, run_kind
from test_libpmem_run import clean_env

PROG = SOURCE / "scripts" / "tests" / "progs" / "seq_pages.c"
PAGES = 16
MISSED = {"first": 0x9000, "middle": 0x9000 + 17 * 64,
          "last": 0x9000 + 63 * 64}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("seq"), cc, PROG, "-mclwb")


@pytest.mark.parametrize("kind", BUILDS)
def test_the_sequence_alone_has_no_finding(pmemu_bin, tmp_path, builds,
                                           kind):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, "none")
    assert text == "pmemu: no findings", text


@pytest.mark.parametrize("mode", sorted(MISSED))
@pytest.mark.parametrize("kind", BUILDS)
def test_a_missed_flush_is_reported_at_its_store(pmemu_bin, tmp_path,
                                                 builds, kind, mode):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, mode)
    one_unpersisted(text, MISSED[mode])
    # the plain build sees the line's change, the plugin its 8 stores
    assert re.search(r"stores? from 1 site", text), text
    assert re.search(r"^\[0\] \d+ stores?, 1 line,", text, re.M), text
    assert re.findall(r"\(seq_pages\.c:(\d+)\)", text) == [
        str(line_of("STORE", PROG))], text


def signals(pmemu_bin, tmp_path, exe):
    """signals the run handled (rt_sigreturn calls, strace -c)"""
    pm = tmp_path / "pm"
    shutil.rmtree(pm, ignore_errors=True)
    pm.mkdir()
    summary = tmp_path / "strace.txt"
    r = subprocess.run(["strace", "-f", "-c", "-e", "trace=rt_sigreturn",
                        "-o", str(summary), pmemu_bin, "run", "--quiet",
                        "--pmem-dir", str(pm), "--", str(exe),
                        str(pm / "pool"), "none"],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr
    m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+"
                  r"rt_sigreturn$", summary.read_text(), re.M)
    return int(m.group(1)) if m else 0


def test_pages_written_in_sequence_do_not_fault(pmemu_bin, tmp_path,
                                                builds):
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    # the first pages fault (and one is stepped) before the writer is
    # seen as sequential; one fault per page was 21 signals here
    assert signals(pmemu_bin, tmp_path, builds["plain"]) <= PAGES // 2



@pytest.mark.parametrize("mode", sorted(MISSED))
@pytest.mark.parametrize("kind", BUILDS)
def test_a_missed_flush_is_traced_before_the_next_fence(pmemu_bin, tmp_path,
                                                        builds, kind, mode):
    """a page opened at a flush is compared at each fence: the store is
    in the trace before its line's sfence (a crash there must see it)"""
    if kind not in builds:
        pytest.skip("plugin not built")
    fences, out = fences_after(pmemu_bin, tmp_path, builds[kind], mode,
                               MISSED[mode])
    # its own line's sfence and one per line after it
    assert fences == PAGES * 64 - MISSED[mode] // 64, out[-3000:]
