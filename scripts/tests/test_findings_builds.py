"""test_findings_builds.py -- a program built with the pmemu GCC plugin
and the same program built without it get the same findings from
`pmemu run` (docs/model.md, "Value-restoring stores"): a plain build
single-steps the stores that fault on a page (docs/shim.md), so each
store on another line of the page names its own line too; where it
cannot know a store's site it names the best one it has and says it is
a guess (docs/report-format.md). Cases: progs/findings_cases.c,
progs/atomic_lines.c, progs/line_sites.c (libpmem), progs/tx_line_sites.c
(libpmemobj).
"""
import re
import subprocess

import pytest

from test_findings_report import (BUILDS, GUESS, PROGS, build_both,
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


def run_pool_prog(pmemu_bin, tmp_path, exe, *args):
    """`pmemu run` of a program whose first argument is its pool's path"""
    pm = tmp_path / "pm"
    pm.mkdir()
    return subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                           str(exe), str(pm / "pool"), *args],
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
    """one page, two lines, never flushed: the plain build's first fault
    is single-stepped and the page protected again, so the second atomic
    faults too and each entry names its own line, as the plugin does"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "two")
    found = entries(report(res))
    assert sorted(found) == [0x100, 0x200], res.stderr
    first, second = found[0x100], found[0x200]
    assert line_of("ATOMIC_A") in source_lines(first), first
    assert line_of("ATOMIC_B") in source_lines(second), second
    assert "site guessed" not in first + second, res.stderr


ATOMICS_SRC = PROGS / "atomic_lines.c"


@pytest.fixture(scope="module")
def atomics_progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("atomic_lines"), cc,
                      ATOMICS_SRC)


def atomics_run(pmemu_bin, tmp_path, progs, kind, mode):
    """{first-at offset: entry} of a mode of atomic_lines.c, and the text"""
    if kind not in progs:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, progs[kind], mode)
    assert res.returncode == 0, res.stderr
    text = report(res)
    return entries(text), text


def atomics_lines(text):
    return {int(n) for n in re.findall(r"atomic_lines\.c:(\d+)\)", text)}


@pytest.mark.parametrize("kind", BUILDS)
def test_exchange_and_compare_exchange_name_their_lines(
        pmemu_bin, tmp_path, atomics_progs, kind):
    found, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                              "xchg")
    assert sorted(found) == [0x100, 0x200], text
    assert line_of("XCHG_A", ATOMICS_SRC) in atomics_lines(found[0x100])
    assert line_of("CMPXCHG_B", ATOMICS_SRC) in atomics_lines(found[0x200])
    assert "site guessed" not in text, text


@pytest.mark.parametrize("kind", BUILDS)
def test_atomics_flushed_and_fenced_are_no_finding(pmemu_bin, tmp_path,
                                                   atomics_progs, kind):
    _, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind, "ok")
    assert text == "pmemu: no findings", text


@pytest.mark.parametrize("kind", BUILDS)
def test_three_stores_on_three_lines_name_their_lines(
        pmemu_bin, tmp_path, atomics_progs, kind):
    found, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                              "three")
    assert sorted(found) == [0x100, 0x200, 0x300], text
    for off, tag in ((0x100, "STORE_1"), (0x200, "STORE_2"),
                     (0x300, "STORE_3")):
        assert line_of(tag, ATOMICS_SRC) in atomics_lines(found[off]), text
    assert "site guessed" not in text, text


@pytest.mark.parametrize("kind", BUILDS)
def test_second_store_to_a_line_ends_stepping(pmemu_bin, tmp_path,
                                              atomics_progs, kind):
    """a fill (a second store to a line stored already) makes the page
    writable for good: a plain build guesses the next line's site (the
    page's first store) and says so; the plugin names it"""
    found, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                              "fill")
    assert sorted(found) == [0x100, 0x200], text
    assert line_of("FILL", ATOMICS_SRC) in atomics_lines(found[0x100])
    assert "site guessed" not in found[0x100], text
    other = found[0x200]
    if kind == "plugin":
        assert line_of("FILL_OTHER", ATOMICS_SRC) in atomics_lines(other)
        assert "site guessed" not in other, text
    else:
        assert line_of("FILL", ATOMICS_SRC) in atomics_lines(other), text
        assert GUESS in other, text


def line_counts(text):
    """[(lines, guessed)] of the entries of a report"""
    out = []
    for block in re.split(r"^(?=\[\d+\] )", text, flags=re.M)[1:]:
        m = re.search(r"^\[\d+\] \d+ stores?, (\d+) lines?", block, re.M)
        out.append((int(m.group(1)), "site guessed" in block))
    return sorted(out)


@pytest.mark.parametrize("kind", BUILDS)
def test_a_page_is_stepped_for_its_first_faults_only(pmemu_bin, tmp_path,
                                                     atomics_progs, kind):
    """12 lines stored by one loop: a plain build names the 8 lines its
    faults hit (the most per opening of a page), the other 4 are guesses
    of the same site; the plugin names all 12"""
    _, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                          "stride")
    assert atomics_lines(text) >= {line_of("STRIDE", ATOMICS_SRC)}, text
    if kind == "plugin":
        assert line_counts(text) == [(12, False)], text
    else:
        assert line_counts(text) == [(4, True), (8, False)], text


@pytest.mark.parametrize("kind", BUILDS)
def test_blocked_sigtrap_is_not_stepped(pmemu_bin, tmp_path, atomics_progs,
                                        kind):
    """a thread that blocks SIGTRAP would be killed by a single step: it
    is not stepped, and runs to the end; the second line is a guess"""
    found, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                              "blocked")
    assert sorted(found) == [0x100, 0x200], text
    assert line_of("BLOCKED_A", ATOMICS_SRC) in atomics_lines(found[0x100])
    if kind == "plugin":
        assert line_of("BLOCKED_B", ATOMICS_SRC) in \
            atomics_lines(found[0x200]), text
    else:
        assert "site guessed" in found[0x200], text


SITES_SRC = PROGS / "line_sites.c"


@pytest.fixture(scope="module")
def sites_progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("line_sites"), cc, SITES_SRC,
                      "-lpmem")


@pytest.mark.parametrize("kind", BUILDS)
def test_each_line_names_the_function_that_wrote_it(pmemu_bin, tmp_path,
                                                    sites_progs, kind):
    """write_header stores first (the page's fault), write_count stores
    another line of the page, flushes it and stores it again: each store
    faults on the stepped page, so a plain build names COUNT_AGAIN as the
    plugin does, not the page's first store"""
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
    assert line_of("COUNT_AGAIN", SITES_SRC) in source_lines_of(count)
    assert "site guessed" not in count, count


def source_lines_of(text):
    return {int(n) for n in re.findall(r"line_sites\.c:(\d+)\)", text)}


TX_SITES_SRC = PROGS / "tx_line_sites.c"


@pytest.fixture(scope="module")
def tx_sites_progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("tx_line_sites"), cc,
                      TX_SITES_SRC, "-lpmemobj")


@pytest.mark.parametrize("kind", BUILDS)
def test_program_that_steps_itself_keeps_its_traps(pmemu_bin, tmp_path,
                                                   atomics_progs, kind):
    """the program sets the trap flag itself around two stores on two
    lines: its handler counts as many traps as without pmemu (the shim's
    step of a faulting store is passed on, not added), and each store
    still faults on the page protected again after the first"""
    if kind not in atomics_progs:
        pytest.skip("plugin not built")
    exe = atomics_progs[kind]
    native = subprocess.run([str(exe), str(tmp_path / "native"),
                             "selfstep"], capture_output=True, text=True)
    assert native.stdout.startswith("traps "), native
    res = run_case(pmemu_bin, tmp_path, exe, "selfstep")
    assert res.returncode == 0, res.stderr
    assert res.stdout == native.stdout, res.stdout
    text = report(res)
    assert re.search(r"^\[0\] 2 stores, 2 lines, first at pool\+0x100$",
                     text, re.M), text
    assert "site guessed" not in text, text


@pytest.mark.parametrize("kind", BUILDS)
def test_threads_racing_on_a_stepped_page_miss_no_line(
        pmemu_bin, tmp_path, atomics_progs, kind):
    """8 threads, one atomic each on its own line of a cold page, 20
    times: a store that lands while another thread's step holds the page
    writable may be guessed, never missed (8 lines per round)"""
    _, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                          "threads")
    assert sum(n for n, _ in line_counts(text)) == 8 * 20, text
    assert atomics_lines(text) >= {line_of("BUMP", ATOMICS_SRC)}, text


@pytest.mark.parametrize("kind", BUILDS)
def test_read_into_pmem_succeeds(pmemu_bin, tmp_path, atomics_progs, kind):
    """the kernel copies a read() into a protected view page without a
    fault the shim could take (EFAULT): the pages are opened first, and
    the bytes are named by the read call, as a guess, in both builds"""
    found, text = atomics_run(pmemu_bin, tmp_path, atomics_progs, kind,
                              "read")
    assert sorted(found) == [0x100, 0x200, 0x1100], text
    assert line_of("READ_STORE", ATOMICS_SRC) in atomics_lines(found[0x100])
    for off, tag in ((0x200, "READ"), (0x1100, "READ_CLEAN")):
        assert line_of(tag, ATOMICS_SRC) in atomics_lines(found[off]), text
        assert GUESS in found[off], text


@pytest.mark.parametrize("kind", BUILDS)
@pytest.mark.parametrize("filled", [False, True])
def test_tx_add_names_the_store_it_announced(pmemu_bin, tmp_path,
                                             tx_sites_progs, kind, filled):
    """b, added with POBJ_XADD_NO_FLUSH and never flushed: its store
    faults on the stepped page and names STORE_B in both builds; when a
    second store to a's line ended the stepping (filled), b's store is
    not seen and a plain build names set_b's TX_ADD, not set_a's store
    that opened the page"""
    if kind not in tx_sites_progs:
        pytest.skip("plugin not built")
    res = run_pool_prog(pmemu_bin, tmp_path, tx_sites_progs[kind],
                        *(["filled"] if filled else []))
    text = report(res)
    assert classes(text) == ["unpersisted stores"], text
    assert "[1]" not in text, text
    assert "set_b" in text and "set_a" not in text, text
    lines = {int(n) for n in re.findall(r"tx_line_sites\.c:(\d+)\)", text)}
    if kind == "plugin" or not filled:
        assert line_of("STORE_B", TX_SITES_SRC) in lines, text
        assert "site guessed" not in text, text
    else:
        assert line_of("ADD_B", TX_SITES_SRC) in lines, text
        assert "site guessed" in text, text
