"""test_libpmem_obj.py -- an unmodified libpmemobj program under pmemu.

Debian's libpmemobj.so.1 calls pmem_persist/flush/drain/memcpy/... with
version LIBPMEM_1.0 through its PLT; libpmemu.so defines those versions, so
the calls land in the shim. The tests show it three ways: the dynamic
linker's own account of the bindings, the flush and fence events in a
recorded trace, and findings: the buggy twin (pmemobj_memcpy with
PMEMOBJ_F_MEM_NOFLUSH) is reported at its line, the correct twin is not,
and `pmempool check` accepts the pool after either run. The correct twin
gets no finding at all, also none from inside libpmemobj: pmemu answers
libpmemobj's pmemcheck client requests (docs/client-requests.md).
"""
import os
import re
import subprocess

import pytest

from test_libpmem_run import (PROGS, UNPERSISTED, clean_env, finding_lines,
                              line_of, pmemu_run)

SRC = "libpmemobj_tx.c"
OWN_TAGS = ("COPY", "COPY_NOFLUSH", "STORE", "PERSIST")


# libpmemobj takes the pmem path when mmap accepts MAP_SYNC; on the
# pagecache domain the shim refuses it as the kernel does on a non-DAX file
# (EOPNOTSUPP), so libpmemobj msyncs its page cache mapping.
DOMAINS = ["adr", "pagecache"]


@pytest.fixture
def pmem_dir(tmp_path):
    d = tmp_path / "pmem"
    d.mkdir()
    return d


def pmempool_check(pool):
    res = subprocess.run(["pmempool", "check", "-v", str(pool)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "consistent" in res.stdout, res.stdout


@pytest.mark.parametrize("domain", DOMAINS)
def test_correct_twin_runs_and_pool_checks(pmemu_bin, pmem_dir, domain):
    pool = pmem_dir / "pool"
    own = {line_of(SRC, t) for t in OWN_TAGS}
    for expect in ("counter=8 total=36", "counter=16 total=72"):
        res = pmemu_run(pmemu_bin, pmem_dir, "libpmemobj_tx_ok",
                        [str(pool)], "--domain", domain)
        assert res.returncode == 0, res.stderr
        assert expect in res.stdout, res.stdout + res.stderr
        # nothing at all: libpmemobj's run-time state is declared with
        # pmemcheck client requests, which pmemu honours
        # (docs/client-requests.md)
        assert not own & finding_lines(res, SRC), res.stderr
        assert "pmemu: no findings" in res.stderr, res.stderr
        pmempool_check(pool)


@pytest.mark.parametrize("domain", DOMAINS)
def test_buggy_twin_reported_at_its_line(pmemu_bin, pmem_dir, domain):
    pool = pmem_dir / "pool"
    res = pmemu_run(pmemu_bin, pmem_dir, "libpmemobj_tx_bad", [str(pool)],
                    "--domain", domain, "--error-exitcode=3")
    noflush = line_of(SRC, "COPY_NOFLUSH")
    if domain == "pagecache":
        # Not a bug there: on a non-pmem pool libpmemobj's memcpy msyncs
        # what it copied whatever the flags (obj_nopmem_memcpy). Reported
        # only if the shim let libpmemobj take its pmem path (MAP_SYNC).
        assert noflush not in finding_lines(res, SRC), res.stderr
        pmempool_check(pool)
        return
    assert res.returncode == 3, res.stderr
    assert UNPERSISTED in res.stderr, res.stderr
    assert noflush in finding_lines(res, SRC), res.stderr
    # the store event came from the interposed pmem_memcpy libpmemobj called
    assert re.search(r"at pmemobj_memcpy \(libpmemobj\.so", res.stderr), \
        res.stderr
    pmempool_check(pool)


def test_libpmemobj_binds_to_shim(pmemu_bin, pmem_dir, tmp_path):
    """ld.so's account: libpmemobj's pmem_* references bind to libpmemu."""
    log = tmp_path / "ld"
    env = clean_env()
    env.update(LD_DEBUG="bindings", LD_DEBUG_OUTPUT=str(log))
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pmem_dir), "--",
           str(PROGS / "libpmemobj_tx_ok"), str(pmem_dir / "pool")]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    text = "".join(p.read_text() for p in tmp_path.iterdir()
                   if p.name.startswith("ld."))
    bound = set(re.findall(
        r"binding file \S*libpmemobj\.so\.1 \[\d+\] to \S*libpmemu\.so "
        r"\[\d+\]: normal symbol `(pmem_\w+)' \[LIBPMEM_1\.0\]", text))
    for name in ("pmem_persist", "pmem_flush", "pmem_drain", "pmem_memcpy",
                 "pmem_memset", "pmem_is_pmem"):
        assert name in bound, sorted(bound)


def test_pmemobj_persist_emits_flushes_and_fences(pmemu_bin, pmem_dir,
                                                  tmp_path):
    trace = tmp_path / "trace"
    cmd = [pmemu_bin, "record", "-o", str(trace), "--pmem-dir",
           str(pmem_dir), "--", str(PROGS / "libpmemobj_tx_ok"),
           str(pmem_dir / "pool")]
    res = subprocess.run(cmd, capture_output=True, text=True,
                         env=clean_env())
    assert res.returncode == 0, res.stderr
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, check=True).stdout
    kinds = re.findall(r"^\S+\s+(\w+)", dump, re.M)
    # pmem_persist on adr: clwb events for the lines, then an sfence
    assert kinds.count("clwb") > 10, set(kinds)
    assert kinds.count("sfence") > 10, set(kinds)
