"""test_flush_end.py -- a flush prefetches the line after its range.

A flush (clwb, the plugin's flush hook, pmem_persist) starts loading the
line after the flushed range for writing, since a program that flushes
a line often writes the next one next (shim_events.c, prefetch_next).
The line after a pool's last line may be in no mapping, or in a page
that must not be touched: progs/flush_end.c maps its pool just below a
PROT_NONE guard page and flushes every line, the last one included.
The prefetch must not fault there nor change a finding: no finding for
the loop, in both builds, with clwb and with pmem_persist; one
unpersisted store, at the last line, when its flush is left out.
"""
import pytest

from conftest import SOURCE
from test_findings_report import BUILDS, build_both
from test_hot_stray import one_unpersisted, run_kind

PROG = SOURCE / "scripts" / "tests" / "progs" / "flush_end.c"
LAST_LINE = 2 * 4096 - 64


@pytest.fixture(scope="module")
def builds(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("flush_end"), cc, PROG,
                      "-mclwb", "-lpmem")


@pytest.mark.parametrize("mode", ["raw", "persist"])
@pytest.mark.parametrize("kind", BUILDS)
def test_flushing_the_last_line_is_clean(pmemu_bin, tmp_path, builds, kind,
                                         mode):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, mode)
    assert text == "pmemu: no findings", text


@pytest.mark.parametrize("kind", BUILDS)
def test_the_last_line_unflushed_is_reported(pmemu_bin, tmp_path, builds,
                                             kind):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, "skip")
    one_unpersisted(text, LAST_LINE)
