"""test_many_hot.py -- more hot pages than a settle lists.

A settle takes the pages the last one kept hot from a list of 4,096
(libshim/region/shim_dirty.c, hot_pages) and puts the rest back on the
ring, after them. progs/many_hot.c makes 4,400 pages hot at once and
stores once, never flushed, to a page on the list (listed) or past it
(ringed): either way the store is reported, once, at its line, and the
trace has it before the first of the two fences that follow it.
"""
import pytest

from conftest import SOURCE
from test_findings_report import BUILDS, build_both, report, run_case
from test_hot_stray import fences_after, one_unpersisted

PROG = SOURCE / "scripts" / "tests" / "progs" / "many_hot.c"
STRAY = {"listed": 10 * 4096 + 64, "ringed": 4399 * 4096 + 64}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("many"), cc, PROG, "-mclwb")


def test_the_passes_alone_have_no_finding(pmemu_bin, tmp_path, builds):
    text = report(run_case(pmemu_bin, tmp_path, builds["plain"], "none"))
    assert text == "pmemu: no findings", text


@pytest.mark.parametrize("mode", sorted(STRAY))
@pytest.mark.parametrize("kind", BUILDS)
def test_a_stray_store_is_seen_at_the_next_fence(pmemu_bin, tmp_path, builds,
                                                 kind, mode):
    if kind not in builds:
        pytest.skip("plugin not built")
    one_unpersisted(report(run_case(pmemu_bin, tmp_path, builds[kind],
                                    mode)), STRAY[mode])
    traced = tmp_path / "traced"
    traced.mkdir()
    fences, out = fences_after(pmemu_bin, traced, builds[kind], mode,
                               STRAY[mode])
    assert fences == 2, out[-3000:]
