"""test_hot_stray.py -- a store on a hot page is never missed.

progs/hot_stray.c runs a raw store-clwb-sfence loop (the raw benchmark's,
small) that makes its pages hot: writable across fences, seen only by
comparing them with their twins at each fence (docs/shim.md, "Hot
pages"). One stray store is never flushed; missing it is a false PASS.
Both builds (page protection and trampolines; the plugin's store log)
must report it, once, at its line's offset, whatever state its page is
in: hot and written last (behind; at its last line: end), stored again
after its clwb and before the fence (again: a fence must compare flushed
lines too), cooled down and protected again (cooled), hot and then
cooling down with the store in it (quiet), stored twice with a fence
between (twice: two stores, the first seen by its fence, not merged
into the second by a later compare). Seen at all is not enough: a store seen only when
its page cools down or at exit is a store after fences that came after
it, and a crash at those fences would miss it; so the recorded trace
must have it before the first fence that follows it (FENCES_AFTER: the
fences the program makes after the stray store).
"""
import re
import subprocess

import pytest

from conftest import SOURCE
from test_findings_report import BUILDS, build_both, report, run_case
from test_libpmem_run import clean_env

PROG = SOURCE / "scripts" / "tests" / "progs" / "hot_stray.c"
STRAY = {"behind": 0x1f000, "end": 0x1ffc0, "again": 0x1900,
         "cooled": 0x80, "quiet": 0x1f000, "twice": 0x1f040}
# again: line 100 of 2048, an sfence after every 8th line, then one more
FENCES_AFTER = {"behind": 2, "end": 2, "again": (2047 - 103) // 8 + 2,
                "cooled": 2, "quiet": 64, "twice": 2}
STORE = re.compile(r"^\S+ store .* off=(0x[0-9a-f]+) len=(\d+)")


@pytest.fixture(scope="module")
def builds(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("hot"), cc, PROG, "-mclwb")


def run_kind(pmemu_bin, tmp_path, builds, kind, mode):
    """the report of the kind's build run in mode (skipped when the
    plugin is not built)"""
    if kind not in builds:
        pytest.skip("plugin not built")
    return report(run_case(pmemu_bin, tmp_path, builds[kind], mode))


def one_unpersisted(text, off):
    """text reports one finding, unpersisted stores first at pool+off"""
    assert re.findall(r"^pmemu: ([a-z ]+[a-z]):", text, re.M) == [
        "unpersisted stores"], text
    assert re.findall(r"^\[\d+\] .*first at pool\+(0x[0-9a-f]+)$", text,
                      re.M) == [hex(off)], text


@pytest.mark.parametrize("kind", BUILDS)
def test_the_loop_alone_has_no_finding(pmemu_bin, tmp_path, builds, kind):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, "none")
    assert text == "pmemu: no findings", text


@pytest.mark.parametrize("mode", sorted(STRAY))
@pytest.mark.parametrize("kind", BUILDS)
def test_a_stray_store_is_reported(pmemu_bin, tmp_path, builds, kind, mode):
    text = run_kind(pmemu_bin, tmp_path, builds, kind, mode)
    one_unpersisted(text, STRAY[mode])
    if mode == "twice":
        assert re.search(r"^\[0\] 2 stores, 1 line,", text, re.M), text
    else:
        assert "1 store from 1 site" in text, text


@pytest.mark.parametrize("mode", sorted(STRAY))
@pytest.mark.parametrize("kind", BUILDS)
def test_a_stray_store_is_traced_before_the_next_fence(pmemu_bin, tmp_path,
                                                       builds, kind, mode):
    if kind not in builds:
        pytest.skip("plugin not built")
    fences, out = fences_after(pmemu_bin, tmp_path, builds[kind], mode,
                               STRAY[mode])
    assert fences == FENCES_AFTER[mode], out[-3000:]


def fences_after(pmemu_bin, tmp_path, exe, mode, off):
    """the sfences a recorded run of exe makes after the last store to
    byte off of its pool, and the trace dump"""
    pm = tmp_path / "pm"
    pm.mkdir()
    trace = tmp_path / "t.trace"
    res = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(pm), "--", str(exe),
                          str(pm / "pool"), mode], capture_output=True,
                         text=True, env=clean_env())
    assert res.returncode == 0, res.stderr
    out = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                         capture_output=True, text=True, check=True).stdout
    fences = None
    for line in out.splitlines():
        m = STORE.match(line)
        if m and int(m[1], 16) <= off < int(m[1], 16) + int(m[2]):
            fences = 0
        elif fences is not None and line.split()[1] == "sfence":
            fences += 1
    return fences, out


@pytest.mark.parametrize("line", [128, 4096])
def test_a_stray_store_is_reported_at_its_longer_line(pmemu_bin, tmp_path,
                                                      builds, line):
    """--line over 64 bytes: a hot page's compare finds 64-byte chunks
    (shim_dirty_cmp.c), the stray store is reported at its line's start"""
    res = run_case(pmemu_bin, tmp_path, builds["plain"], "end",
                   "--line", str(line))
    text = report(res)
    assert re.findall(r"^\[\d+\] .*first at pool\+(0x[0-9a-f]+)$", text,
                      re.M) == [hex(STRAY["end"] // line * line)], text
    assert "1 store from 1 site" in text, text
