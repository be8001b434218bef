"""test_step_emul.py -- the store that faults on a cold page is run by
the write-fault handler itself (libshim/patch/insn_store_run.c), not
single-stepped, when it is a plain store (docs/shim.md, "Single-stepping
the faulting store"): the findings are those of stepping every such store
(PMEMU_STEP_EMUL=0), sites and guesses alike, the debug traps are
gone and the stores right after a run one fault no more (strace). progs/step_emul.c: libc's memcpy and memset and struct
fields of every width on cold pages, one line left unpersisted, and four
threads storing to one page at once.
"""
import re
import shutil
import subprocess

import pytest

from conftest import SOURCE
from test_libpmem_run import clean_env

PROG = SOURCE / "scripts" / "tests" / "progs" / "step_emul.c"


@pytest.fixture(scope="module")
def exe(tmp_path_factory, cc):
    out = tmp_path_factory.mktemp("step_emul") / "step_emul"
    subprocess.run([cc, "-g", "-O1", "-I", str(SOURCE / "include"),
                    str(PROG), "-o", str(out), "-lpmem", "-lpthread"],
                   check=True)
    return out


def run(pmemu_bin, tmp_path, exe, emul, *args, strace=False,
        signal="SIGTRAP"):
    """`pmemu run` of step_emul.c, the faulting stores run (emul) or
    stepped; its stderr, and the signals strace saw (strace=True)"""
    pm = tmp_path / "pm"
    shutil.rmtree(pm, ignore_errors=True)
    pm.mkdir()
    env = clean_env()
    env["PMEMU_STEP_EMUL"] = "1" if emul else "0"
    log = tmp_path / "strace.txt"
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pm), "--", str(exe),
           str(pm / "pool"), *args]
    if strace:
        cmd = ["strace", "-f", "-e", "trace=none", "-e", "signal=" + signal,
               "-o", str(log), *cmd]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    seen = log.read_text().count(signal + " {") if strace else None
    return res.stderr, seen


def test_findings_as_stepped(pmemu_bin, tmp_path, exe):
    """the same report, word for word: the unpersisted line of page 4
    and its (guessed) site"""
    stepped, _ = run(pmemu_bin, tmp_path, exe, False)
    emulated, _ = run(pmemu_bin, tmp_path, exe, True)
    assert "1 store, 1 line, first at pool+0x4040" in stepped, stepped
    assert emulated == stepped


def test_traps_gone(pmemu_bin, tmp_path, exe):
    """memcpy's and memset's vector stores and the field stores are run,
    not stepped: a store across a page's end is still stepped"""
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    _, stepped = run(pmemu_bin, tmp_path, exe, False, strace=True)
    _, emulated = run(pmemu_bin, tmp_path, exe, True, strace=True)
    assert stepped >= 10, stepped
    assert emulated <= 2, (emulated, stepped)


def test_next_stores_no_faults(pmemu_bin, tmp_path, exe):
    """the plain stores right after a store the handler ran, to the same
    page (memcpy's and memset's loops store lines in a row), are taken in
    its signal as their own faults would be (insn_store_next): under half
    the write faults of stepping, where each such store faults, with the
    same report (test_findings_as_stepped)"""
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    _, stepped = run(pmemu_bin, tmp_path, exe, False, strace=True,
                     signal="SIGSEGV")
    _, emulated = run(pmemu_bin, tmp_path, exe, True, strace=True,
                      signal="SIGSEGV")
    assert stepped >= 20, stepped
    assert 2 * emulated < stepped, (emulated, stepped)


def header(text):
    return re.findall(r"^pmemu: [a-z ]+: .*$", text, re.M)


def test_threads_on_one_page(pmemu_bin, tmp_path, exe):
    """four threads store to their own lines of one page while its
    faults are run: each thread's unpersisted line is still found (which
    thread faults first, and so which sites are guessed, varies: the
    count of stores is compared)"""
    for emul in (False, True) * 3:
        text, _ = run(pmemu_bin, tmp_path, exe, emul, "threads")
        found = header(text)
        assert len(found) == 1 and re.match(
            r"pmemu: unpersisted stores: 5 stores from \d sites not "
            r"durable at exit$", found[0]), text
