"""test_findings_builds.py -- a program built with the pmemu GCC plugin
and the same program built without it get the same findings from
`pmemu run` (docs/model.md, "Value-restoring stores"), and where a plain
build cannot know a store's site it names the best one it has and says
it is a guess (docs/report-format.md). Cases: progs/findings_cases.c,
progs/line_sites.c (libpmem), progs/tx_line_sites.c (libpmemobj).
"""
import re
import subprocess

import pytest

from test_findings_report import (BUILDS, PROGS, build_both,
                                  cases, line_of,  # noqa: F401
                                  report, run_case, source_lines)
from test_libpmem_run import clean_env


def classes(text):
    return re.findall(r"^pmemu: ([a-z ]+[a-z]):", text, re.M)


@pytest.mark.parametrize("kind", BUILDS)
def test_lock_word_restored_is_no_finding(pmemu_bin, tmp_path, cases, kind):
    """0 -> 1 -> 0, never flushed: a crash at the end leaves what the
    program sees; the 1 in between is explore's to judge"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "lock")
    assert report(res) == "pmemu: no findings", res.stderr


@pytest.mark.parametrize("kind", BUILDS)
def test_restored_line_with_write_back_in_flight_is_reported(
        pmemu_bin, tmp_path, cases, kind):
    """0 -> 1, flushed, never fenced, -> 0: the 1 may still reach the
    media, so the restore is no excuse: both findings, in both builds"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "relock")
    text = report(res)
    assert classes(text) == ["unpersisted stores", "missing fence"], text
    assert "first at pool+0x100" in text, text
    assert line_of("RELOCK_FLUSH") in source_lines(text), text


def run_pool_prog(pmemu_bin, tmp_path, exe):
    """`pmemu run` of a program whose one argument is its pool's path"""
    pm = tmp_path / "pm"
    pm.mkdir()
    return subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                           str(exe), str(pm / "pool")],
                          capture_output=True, text=True, env=clean_env())


def entries(text):
    """{first-at offset: entry text} of a report"""
    out = {}
    for block in re.split(r"^(?=\[\d+\] )", text, flags=re.M)[1:]:
        m = re.search(r"first at pool\+(0x[0-9a-f]+)", block)
        out[int(m.group(1), 16)] = block.split("\npmemu:")[0]
    return out


@pytest.mark.parametrize("kind", BUILDS)
def test_two_atomics_on_two_lines_are_two_entries(pmemu_bin, tmp_path,
                                                  cases, kind):
    """one page, two lines, one write fault: the line the fault hit has
    its exact site in a plain build too; the other line's site is a
    guess there, and the entry says so"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "two")
    found = entries(report(res))
    assert sorted(found) == [0x100, 0x200], res.stderr
    first, second = found[0x100], found[0x200]
    assert source_lines(first) & {line_of("ATOMIC_A")}, first
    assert "site guessed" not in first, first
    if kind == "plugin":
        assert line_of("ATOMIC_B") in source_lines(second), second
    else:
        assert "site guessed" in second, second


SITES_SRC = PROGS / "line_sites.c"


@pytest.fixture(scope="module")
def sites_progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("line_sites"), cc, SITES_SRC,
                      "-lpmem")


@pytest.mark.parametrize("kind", BUILDS)
def test_each_line_names_the_function_that_wrote_it(pmemu_bin, tmp_path,
                                                    sites_progs, kind):
    """write_header stores first (the page's fault), write_count stores
    another line of the page, flushes it and stores it again: a plain
    build names write_count for that line (its flush covered the line),
    not the page's first store"""
    if kind not in sites_progs:
        pytest.skip("plugin not built")
    res = run_pool_prog(pmemu_bin, tmp_path, sites_progs[kind])
    found = entries(report(res))
    assert sorted(found) == [0, 0x100], res.stderr
    header, count = found[0], found[0x100]
    assert re.search(r"at write_header \(line_sites\.c:(\d+)\)", header), \
        header
    assert line_of("HEADER", SITES_SRC) in source_lines_of(header), header
    assert "site guessed" not in header, header
    assert "write_count" in count and "write_header" not in count, count
    if kind == "plugin":
        assert line_of("COUNT_AGAIN", SITES_SRC) in source_lines_of(count)
    else:
        assert "site guessed" in count, count


def source_lines_of(text):
    return {int(n) for n in re.findall(r"line_sites\.c:(\d+)\)", text)}


TX_SITES_SRC = PROGS / "tx_line_sites.c"


@pytest.fixture(scope="module")
def tx_sites_progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("tx_line_sites"), cc,
                      TX_SITES_SRC, "-lpmemobj")


@pytest.mark.parametrize("kind", BUILDS)
def test_tx_add_names_the_store_it_announced(pmemu_bin, tmp_path,
                                             tx_sites_progs, kind):
    """b, added with POBJ_XADD_NO_FLUSH and never flushed, is stored on a
    page already writable: a plain build names set_b (its TX_ADD), not
    set_a's store that opened the page"""
    if kind not in tx_sites_progs:
        pytest.skip("plugin not built")
    res = run_pool_prog(pmemu_bin, tmp_path, tx_sites_progs[kind])
    text = report(res)
    assert classes(text) == ["unpersisted stores"], text
    assert "[1]" not in text, text
    assert "set_b" in text and "set_a" not in text, text
    lines = {int(n) for n in re.findall(r"tx_line_sites\.c:(\d+)\)", text)}
    if kind == "plugin":
        assert line_of("STORE_B", TX_SITES_SRC) in lines, text
    else:
        assert line_of("ADD_B", TX_SITES_SRC) in lines, text
        assert "site guessed" in text, text
