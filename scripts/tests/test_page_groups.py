"""test_page_groups.py -- a fast sequential writer's pages in groups.

progs/page_groups.c stores and clwb's every line of 64 pages, an sfence
per 8 lines, 3 passes. Its pages are opened two at a time (one mprotect
for the group, at the flush of the last line below it) and protected
again two at a time (when the group's last page cools down, the page
below it having waited, open): docs/shim.md, "Sequential writers". A
page held open so must still have every store seen at the next fence:
one stray store, never flushed, on a page opened ahead of the writer
(ahead) or on one that waits for its group (behind), is reported once,
at its line, in both builds, and is in the recorded trace before the
first fence after it (FENCES_AFTER). Without groups the loop made two
mprotect calls a page a pass (counted with strace -c).
"""
import shutil

import pytest

from conftest import SOURCE
from test_findings_report import BUILDS, build_both
from test_hot_stray import fences_after, one_unpersisted, run_kind
from test_plugin_hot import mprotects

PROG = SOURCE / "scripts" / "tests" / "progs" / "page_groups.c"
PAGES, PASSES, LINES = 64, 3, 64 * 64
STRAY = {"ahead": 41 * 4096 + 5 * 64, "behind": 40 * 4096 + 7 * 64}
WRITER = {"ahead": 40 * 64 + 20, "behind": 42 * 64 + 20}
# ahead: the writer stops, then the pass's sfence and 64; behind: the
# loop's sfences from its line on, the pass's and 64
FENCES_AFTER = {
    "ahead": 1 + 64,
    "behind": sum(1 for k in range(WRITER["behind"], LINES) if k % 8 == 7)
    + 1 + 64}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("groups"), cc, PROG, "-mclwb")


@pytest.mark.parametrize("kind", BUILDS)
def test_the_writer_alone_has_no_finding(pmemu_bin, tmp_path, builds, kind):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, "none")
    assert text == "pmemu: no findings", text


@pytest.mark.parametrize("mode", sorted(STRAY))
@pytest.mark.parametrize("kind", BUILDS)
def test_a_store_on_a_page_its_group_holds_open_is_reported(
        pmemu_bin, tmp_path, builds, kind, mode):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, mode)
    one_unpersisted(text, STRAY[mode])
    assert "1 store from 1 site" in text, text


@pytest.mark.parametrize("mode", sorted(STRAY))
@pytest.mark.parametrize("kind", BUILDS)
def test_it_is_traced_before_the_next_fence(pmemu_bin, tmp_path, builds,
                                            kind, mode):
    if kind not in builds:
        pytest.skip("plugin not built")
    fences, out = fences_after(pmemu_bin, tmp_path, builds[kind], mode,
                               STRAY[mode])
    assert fences == FENCES_AFTER[mode], out[-3000:]


@pytest.mark.parametrize("kind", BUILDS)
def test_groups_take_one_mprotect_for_two_pages(pmemu_bin, tmp_path, builds,
                                                 kind):
    if kind not in builds:
        pytest.skip("plugin not built")
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    # page by page: two a page a pass and start-up's (428 here); in
    # groups one a page a pass, with the first pass's and start-up's
    # (242)
    n = mprotects(pmemu_bin, tmp_path, builds[kind], ("none",))
    assert n <= PAGES * PASSES * 3 // 2, n
