"""test_pmemcheck_parity.py -- pmemcheck's client requests under pmemu run.

libpmemobj tells pmemcheck about its pool with Valgrind client requests:
run-time state that need not persist (SET_CLEAN, REMOVE_PMEM_MAPPING) and
transactions with the ranges added to them. pmemu patches the requests and
honours them (docs/client-requests.md), so a correct libpmemobj program has
no finding, and a store made in a transaction to a range never added to it
(a missing TX_ADD) is reported as pmemcheck reports it, at its line when the
program is built with the plugin (crash-tests/obj_kvmap.c, planted).
"""
import re
import subprocess

import pytest

from conftest import BUILD, SOURCE
from test_libpmem_run import clean_env

TX_UNADDED = "store outside its transaction"
KVMAP = SOURCE / "crash-tests" / "obj_kvmap.c"
CT_BIN = BUILD / "crash-tests" / "bin"


@pytest.fixture
def pmem_dir(tmp_path):
    d = tmp_path / "pmem"
    d.mkdir()
    return d


def planted_line():
    for n, text in enumerate(KVMAP.read_text().splitlines(), 1):
        if "PLANTED: missing-tx-add" in text:
            return n
    raise AssertionError("no planted line in obj_kvmap.c")


def run(pmemu_bin, pmem_dir, prog, *args):
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pmem_dir),
           "--error-exitcode=3", "--", str(prog), *args]
    return subprocess.run(cmd, capture_output=True, text=True,
                          env=clean_env())


def class_block(stderr, cls):
    """The text of the findings of class `cls` (header to next header)."""
    m = re.search(r"^pmemu: " + re.escape(cls) + r":.*?(?=^pmemu: |\Z)",
                  stderr, re.M | re.S)
    return m.group(0) if m else ""


@pytest.fixture(scope="module")
def kvmap():
    prog = CT_BIN / "obj_kvmap"
    if not prog.exists():
        pytest.skip(f"{prog} not built")
    return prog


def test_missing_tx_add_reported_at_planted_line(pmemu_bin, pmem_dir, kvmap):
    res = run(pmemu_bin, pmem_dir, kvmap, "run", str(pmem_dir / "kv.pool"),
              "missing-tx-add")
    assert res.returncode == 3, res.stderr
    block = class_block(res.stderr, TX_UNADDED)
    assert block, res.stderr
    assert f"obj_kvmap.c:{planted_line()})" in block, res.stderr
    assert "TX_ADD" in block, res.stderr


def test_correct_kvmap_has_no_finding(pmemu_bin, pmem_dir, kvmap):
    res = run(pmemu_bin, pmem_dir, kvmap, "run", str(pmem_dir / "kv.pool"))
    assert res.returncode == 0, res.stderr
    assert "pmemu: no findings" in res.stderr, res.stderr


def test_uninstrumented_build_finds_the_class(pmemu_bin, pmem_dir, tmp_path,
                                              cc):
    """Without the plugin, stores are seen by page protection: the class
    is found (the site is the page's first faulting store, which may be
    elsewhere: docs/client-requests.md), the correct run stays clean."""
    prog = tmp_path / "kv_plain"
    subprocess.run([cc, "-g", "-O1", "-I", str(SOURCE / "include"), "-I",
                    str(SOURCE / "crash-tests"), str(KVMAP),
                    str(SOURCE / "crash-tests" / "ct.c"), "-o", str(prog),
                    "-lpmemobj", "-lpmem", "-ldl"], check=True)
    res = run(pmemu_bin, pmem_dir, prog, "run", str(pmem_dir / "a.pool"),
              "missing-tx-add")
    assert res.returncode == 3, res.stderr
    assert class_block(res.stderr, TX_UNADDED), res.stderr
    res = run(pmemu_bin, pmem_dir, prog, "run", str(pmem_dir / "b.pool"))
    assert "pmemu: no findings" in res.stderr, res.stderr


def test_requests_are_inert_without_pmemu(pmem_dir, kvmap):
    """Natively a request returns its default: the program runs as it
    always did (the patch is pmemu's)."""
    res = subprocess.run([str(kvmap), "run", str(pmem_dir / "kv.pool"),
                          "missing-tx-add"], capture_output=True, text=True,
                         env=clean_env())
    assert res.returncode == 0, res.stderr
