"""test_findings_report.py -- what `pmemu run` reports, and how.

progs/findings_cases.c holds one small case per mode, built here with and
without the pmemu GCC plugin: both builds must say the same. Each
finding appears once, labelled by the moment that found it: stores are
judged at the end of the run (a store not durable at a crash point but
durable later is explore's to judge, not run's), other classes in the
batch of the crash point (or the end) that followed them
(docs/report-format.md).
"""
import json
import os
import re
import subprocess

import pytest

from conftest import BUILD, SOURCE
from test_libpmem_run import clean_env

PROGS = SOURCE / "scripts" / "tests" / "progs"
CASES = PROGS / "findings_cases.c"
PLUGIN = BUILD / "lib" / "pmemu-gcc.so"
BUILDS = ["plain", "plugin"]


def line_of(tag, src=CASES):
    for n, text in enumerate(src.read_text().splitlines(), 1):
        if f"/* {tag} */" in text:
            return n
    raise AssertionError(f"no /* {tag} */ in {src}")


def build_both(out, cc, src, *libs):
    """src built without and (when it is built) with the plugin, by kind"""
    built = {}
    for kind in BUILDS:
        if kind == "plugin" and not PLUGIN.exists():
            continue
        exe = out / f"{src.stem}_{kind}"
        cmd = [cc, "-g", "-O1", "-I", str(SOURCE / "include"), str(src),
               "-o", str(exe), *libs]
        if kind == "plugin":
            cmd.insert(1, f"-fplugin={PLUGIN}")
        subprocess.run(cmd, check=True)
        built[kind] = exe
    return built


@pytest.fixture(scope="module")
def cases(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("cases"), cc, CASES, "-ldl")


def run_case(pmemu_bin, tmp_path, exe, mode, *opts):
    pm = tmp_path / "pm"
    pm.mkdir(exist_ok=True)
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pm), *opts, "--", str(exe),
           str(pm / "pool"), mode]
    return subprocess.run(cmd, capture_output=True, text=True,
                          env=clean_env())


def report(res):
    """the report lines, without the notes about uninstrumented code"""
    return "\n".join(l for l in res.stderr.splitlines()
                     if not l.startswith("pmemu: note:"))


GUESS = ("(site guessed: a store seen by page protection, named by the "
         "page's first store or a flush or TX_ADD that covered the line; "
         "build with the pmemu GCC plugin for the exact store)")


def source_lines(text):
    return {int(n) for n in re.findall(r"findings_cases\.c:(\d+)\)", text)}


@pytest.mark.parametrize("kind", BUILDS)
def test_store_after_crash_point_is_at_exit(pmemu_bin, tmp_path, cases,
                                            kind):
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "after")
    text = report(res)
    assert "not durable at exit" in text, text
    assert "crash point" not in text, text
    assert line_of("AFTER") in source_lines(text), text


@pytest.mark.parametrize("kind", BUILDS)
def test_store_durable_after_crash_point_is_no_finding(pmemu_bin, tmp_path,
                                                       cases, kind):
    """not durable at "m1", durable at the end: run reports nothing, a
    crash at "m1" is explore's to judge (docs/report-format.md)"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "later")
    assert report(res) == "pmemu: no findings", res.stderr


@pytest.mark.parametrize("kind", BUILDS)
def test_one_flush_before_crash_point_counts_once(pmemu_bin, tmp_path, cases,
                                                  kind):
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "clean")
    text = report(res)
    assert text.count("pmemu: redundant flush:") == 1, text
    assert "1 flush from 1 site" in text, text
    assert re.search(r"^\[0\] 1 flush, first at pool\+0x80$", text, re.M), \
        text
    assert "[1]" not in text, text
    assert line_of("CLEAN") in source_lines(text), text


@pytest.mark.parametrize("kind", BUILDS)
def test_correct_case_has_no_finding(pmemu_bin, tmp_path, cases, kind):
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "ok")
    assert res.returncode == 0, res.stderr
    assert report(res) == "pmemu: no findings", res.stderr


TX_SRC = PROGS / "tx_add_late.c"
ADD_LATE = "store before its TX_ADD"


@pytest.fixture(scope="module")
def tx_progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("tx"), cc, TX_SRC,
                      "-lpmemobj", "-ldl")


@pytest.mark.parametrize("kind", BUILDS)
def test_store_before_its_tx_add_names_both(pmemu_bin, tmp_path, tx_progs,
                                            kind):
    """the store's line, then the add's line (pmemcheck reports this)"""
    if kind not in tx_progs:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, tx_progs[kind], "late",
                   "--error-exitcode=3")
    assert res.returncode == 3, res.stderr
    text = report(res)
    assert f"pmemu: {ADD_LATE}: 1 store from 1 site" in text, text
    store, add = line_of("STORE_BEFORE_ADD", TX_SRC), line_of("LATE_ADD",
                                                              TX_SRC)
    m = re.search(r"^\[0\].*\n      at main \(tx_add_late\.c:(\d+)\)\n"
                  r"(      \(site guessed.*\)\n)?"
                  r"    added to the transaction after the store:\n"
                  r"(?:      .*\n)*?      by main \(tx_add_late\.c:(\d+)\)",
                  text + "\n", re.M)
    assert m, text
    assert int(m.group(3)) == add, text
    if kind == "plugin":  # the exact store
        assert int(m.group(1)) == store and not m.group(2), text
    else:  # the page's first store, and the report says it is a guess
        assert int(m.group(1)) == store or m.group(2), text
    assert "outside its transaction" not in text, text


@pytest.mark.parametrize("kind", BUILDS)
def test_store_after_its_tx_add_is_no_finding(pmemu_bin, tmp_path, tx_progs,
                                              kind):
    if kind not in tx_progs:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, tx_progs[kind], "correct")
    assert res.returncode == 0, res.stderr
    assert report(res) == "pmemu: no findings", res.stderr


@pytest.mark.parametrize("kind", BUILDS)
def test_memset_persist_of_zeros_over_zeros_is_no_finding(pmemu_bin,
                                                          tmp_path, tx_progs,
                                                          kind):
    """the program had to store and flush: not a redundant flush"""
    if kind not in tx_progs:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, tx_progs[kind], "zeros")
    assert res.returncode == 0, res.stderr
    assert report(res) == "pmemu: no findings", res.stderr


def test_explore_names_the_store_before_its_tx_add(pmemu_bin, tmp_path,
                                                   tx_progs):
    """a failure no lost line explains, in a transaction whose store came
    before its TX_ADD: the explanation names that store and that add"""
    exe = tx_progs.get("plugin") or tx_progs["plain"]
    pm = tmp_path / "pm"
    pm.mkdir()
    res = subprocess.run(
        [pmemu_bin, "explore", "--pmem-dir", str(pm), "--from", "tx",
         "--check", f"{exe} {{pmem}} check", "--json",
         str(tmp_path / "r.json"), "--", str(exe), str(pm / "pool"),
         "late"],
        capture_output=True, text=True, env=clean_env())
    assert res.returncode == 1, res.stdout + res.stderr
    assert "or the check is wrong" not in res.stdout, res.stdout
    store, add = line_of("STORE_BEFORE_ADD", TX_SRC), line_of("LATE_ADD",
                                                              TX_SRC)
    assert (f"stored at main (tx_add_late.c:{store}), added to the "
            f"transaction after it at main (tx_add_late.c:{add})"
            in res.stdout), res.stdout
    # the note names the modules whose stores were untraced: libpmemobj,
    # not a program built with the plugin
    note = [l for l in res.stdout.splitlines()
            if "were not traced one by one" in l]
    assert note and "libpmemobj.so" in note[0], res.stdout
    # libpmemobj is installed by the distribution: not to be rebuilt
    assert "only seen by page protection" in note[0], res.stdout
    assert not re.search(r"build [^)]*libpmemobj", note[0]), res.stdout
    if "plugin" in tx_progs:
        assert "tx_add_late_plugin" not in note[0], res.stdout
    # many failing points: the first 10, then counts per call stack
    rep = json.loads((tmp_path / "r.json").read_text())
    pts = rep["points_failing"]
    many = [dict(pts[i % len(pts)], point=1000 + i) for i in range(14)]
    rep["points_failing"] = many
    rep["counts"]["failing_states"] = 14
    (tmp_path / "many.json").write_text(json.dumps(rep))
    res = subprocess.run([pmemu_bin, "merge", "-o", str(tmp_path / "m.json"),
                          str(tmp_path / "many.json")],
                         capture_output=True, text=True)
    listed = re.findall(r"^  point \d+ ", res.stderr, re.M)
    assert len(listed) == 10, res.stderr
    assert "  4 more, by call stack (--verbose lists each):" in res.stderr, \
        res.stderr
    counts = re.findall(r"^    (\d+) points?, (\d+) failing states?: ",
                        res.stderr, re.M)
    assert sum(int(p) for p, _ in counts) == 4, res.stderr
    assert len(counts) == min(4, len({str(p["site"]) for p in pts})), \
        res.stderr


@pytest.mark.parametrize("kind", BUILDS)
def test_store_after_a_flush_names_its_line(pmemu_bin, tmp_path, cases,
                                            kind):
    """two stores to one line, the first flushed: the second store faults
    on the page a plain build protected again after the first, so both
    builds name it exactly (a guess: test_findings_builds.py)"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "example")
    text = report(res)
    block = text.split("pmemu: missing fence")[0]
    lines = source_lines(block)
    assert line_of("STORE_AGAIN") in lines and GUESS not in text, text



@pytest.mark.parametrize("kind", BUILDS)
def test_one_memcpy_is_one_finding(pmemu_bin, tmp_path, cases, kind):
    """glibc's memmove stores by several instructions of its loop; in a
    plain build each names its lines, yet the user made one call: the
    report names the C library's function without its line, and the
    findings of that call are one entry (two when some sites are
    guessed), never one per instruction"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "copy")
    text = report(res)
    assert "pmemu: unpersisted stores: 16384 stores from" in text, text
    entries = re.split(r"^\[\d+\] ", text, flags=re.M)[1:]
    assert entries and len(entries) <= 2, text
    assert len({GUESS in e for e in entries}) == len(entries), text
    for e in entries:
        assert line_of("COPY") in source_lines(e), text
        first = e.splitlines()[1]
        if "libc" in first or "mem" in first:  # a store in the C library
            assert re.fullmatch(r"      at \S+ \([^:()]+\)", first), text
