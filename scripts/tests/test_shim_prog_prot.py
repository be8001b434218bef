"""test_shim_prog_prot.py -- a program's own mprotect of its pmem mapping
(docs/shim.md, "The program's own protection"): pages it makes writable
again are still tracked, pages it makes read-only or PROT_NONE fault to
its own SIGSEGV handler, as without pmemu.

The programs are libshim/tests/progs/prog_prot.c, one case per build
(libshim/tests/shim_tests.cmake); each prints what happened, and prints
the same natively and under pmemu.
"""
import subprocess

import pytest

from conftest import BUILD, SOURCE
from test_explore_stop import pmemu
from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           line_of, run)

SRC = "prog_prot.c"


PLUGIN = BUILD / "lib" / "pmemu-gcc.so"


def native(tmp_path, exe):
    pool = tmp_path / "native.pool"
    return subprocess.run([str(exe), str(pool)], capture_output=True,
                          text=True, timeout=60)


def same_as_native(pmemu_bin, tmp_path, prog):
    """the run under pmemu, which printed and exited as natively (prog:
    a name in build/shim-progs, or a path)"""
    res = run(pmemu_bin, tmp_path, prog)
    nat = native(tmp_path, PROGS / prog)
    assert nat.returncode == 0, nat.stderr
    assert res.returncode == 0, res.stderr
    assert res.stdout == nat.stdout, res.stderr
    return res


def test_a_store_after_mprotect_rw_is_still_seen(pmemu_bin, tmp_path):
    bad = same_as_native(pmemu_bin, tmp_path, "prog_prot_rw_bad")
    assert_finding_at(bad, SRC, "STORE_RW", "unpersisted stores")
    ok = same_as_native(pmemu_bin, tmp_path, "prog_prot_rw_ok")
    assert_no_findings(ok)


@pytest.mark.parametrize("prog", ["prog_prot_one_page_ro", "prog_prot_moved"])
def test_a_store_to_a_page_made_read_only_is_the_programs_fault(
        pmemu_bin, tmp_path, prog):
    """the same after mremap moved the mapping"""
    res = same_as_native(pmemu_bin, tmp_path, prog)
    assert res.stdout == "caught a store\n"
    # the store to the other page is tracked; the refused one is no store
    assert_finding_at(res, SRC, "STORE_OTHER_PAGE", "unpersisted stores")
    assert f"{SRC}:{line_of(SRC, 'DENIED')})" not in res.stderr
    assert "1 store from 1 site" in res.stderr, res.stderr


def test_a_load_of_a_prot_none_page_is_the_programs_fault(pmemu_bin,
                                                          tmp_path):
    res = same_as_native(pmemu_bin, tmp_path, "prog_prot_none_read")
    assert res.stdout == "caught a load\ncaught a store\n"
    assert_no_findings(res)


def test_mprotect_rw_after_read_only_resumes_tracking(pmemu_bin, tmp_path):
    res = same_as_native(pmemu_bin, tmp_path, "prog_prot_back_rw")
    assert res.stdout == "caught a store\nstored\n"
    assert_finding_at(res, SRC, "STORE_BACK", "unpersisted stores")


def test_read_into_a_read_only_page_fails_with_efault(pmemu_bin, tmp_path):
    res = same_as_native(pmemu_bin, tmp_path, "prog_prot_read_into")
    assert res.stdout.startswith(
        "read into the read-only page: -1 Bad address\n"
        "read into the writable page: 64\n"), res.stdout
    assert_no_findings(res)


def test_a_mapping_made_writable_later_is_tracked(pmemu_bin, tmp_path):
    res = same_as_native(pmemu_bin, tmp_path, "prog_prot_read_map")
    assert res.stdout == ("a read-only descriptor's mapping made writable: "
                          "Permission denied\n")
    assert_finding_at(res, SRC, "STORE_READ_MAP", "unpersisted stores")


def test_protection_changed_under_a_storing_thread(pmemu_bin, tmp_path):
    """PROT_NONE, read-only, writable in turn while another thread stores
    and fences: a fault handler never opens (reads) a page the program
    made unreadable, a settle reads one it opened before; a race, so
    five runs"""
    for _ in range(5):
        res = same_as_native(pmemu_bin, tmp_path, "prog_prot_toggle")
        assert res.stdout == "toggled\n"
        assert "pmemu: error" not in res.stderr, res.stderr


def test_explore_finds_the_store_made_after_mprotect_rw(pmemu_bin,
                                                        tmp_path):
    for prog, verdict in (("prog_prot_rw_bad", 1), ("prog_prot_rw_ok", 0)):
        pm = tmp_path / prog
        pm.mkdir()
        exe = PROGS / prog
        r = pmemu(pmemu_bin, "explore", "--pmem-dir", pm, "--check",
                  f"{exe} {{pmem}} check", "--", exe, pm / "pool")
        assert r.returncode == verdict, r.stdout + r.stderr
        if verdict:
            assert f"{SRC}:{line_of(SRC, 'STORE_RW')}" in r.stdout, r.stdout


@pytest.mark.skipif(not PLUGIN.exists(), reason="plugin not built")
@pytest.mark.parametrize("case,tag", [("RW_AGAIN_UNFLUSHED", "STORE_RW"),
                                      ("ONE_PAGE_RO", "STORE_OTHER_PAGE")])
def test_the_plugin_build_keeps_the_programs_protection(pmemu_bin, tmp_path,
                                                        case, tag):
    """its stores are traced, not found by page protection: the same"""
    exe = tmp_path / case
    subprocess.run(["gcc", f"-fplugin={PLUGIN}", "-O0", "-g", f"-D{case}",
                    "-I", str(SOURCE / "include"),
                    str(SOURCE / "libshim/tests/progs" / SRC), "-o",
                    str(exe), "-ldl"], check=True)
    res = same_as_native(pmemu_bin, tmp_path, str(exe))
    assert_finding_at(res, SRC, tag, "unpersisted stores")
    assert "1 store from 1 site" in res.stderr, res.stderr
