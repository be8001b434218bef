"""test_shim_run.py -- pmemu run/record/list on unmodified programs.

Each bug class has a buggy program and its correct twin (built by
libshim/tests/shim_tests.cmake into build/shim-progs): the buggy one must
get a finding naming the source line tagged /* TAG */, the twin none.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, SOURCE

PROGS = BUILD / "shim-progs"
SRC = SOURCE / "libshim" / "tests" / "progs"


def clean_env(**extra):
    """The environment without PMEMU_* (but where libpmemu.so is)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PMEMU_") and k != "LD_PRELOAD"}
    if "PMEMU_LIBDIR" in os.environ:
        env["PMEMU_LIBDIR"] = os.environ["PMEMU_LIBDIR"]
    env.update(extra)
    return env


def libdir():
    return os.environ.get("PMEMU_LIBDIR", str(BUILD / "lib"))


def line_of(source, tag):
    """The line number of the line carrying /* TAG */ in source."""
    for n, text in enumerate((SRC / source).read_text().splitlines(), 1):
        if f"/* {tag} */" in text:
            return n
    raise AssertionError(f"no /* {tag} */ in {source}")


def run(pmemu_bin, tmp_path, prog, *opts, args=None):
    pm = tmp_path / "pmem"
    pm.mkdir(exist_ok=True)
    target = args if args is not None else [str(pm / "pool")]
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pm), *opts, "--",
           str(PROGS / prog), *target]
    return subprocess.run(cmd, capture_output=True, text=True,
                          env=clean_env(), timeout=600)


def run_how(pmemu_bin, tmp_path, prog, how):
    """prog POOL HOW, a program that prints "HOW done" when it ran
    through"""
    res = run(pmemu_bin, tmp_path, prog,
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert res.stdout == f"{how} done\n", res.stdout + res.stderr
    return res


def assert_finding_at(res, source, tag, cls):
    where = f"{source}:{line_of(source, tag)})"
    assert cls in res.stderr, res.stderr
    assert where in res.stderr, res.stderr


def assert_no_findings(res):
    assert "pmemu: no findings" in res.stderr, res.stderr
    assert res.returncode == 0, res.stderr


def test_mmap_msync_twins(pmemu_bin, tmp_path):
    bad = run(pmemu_bin, tmp_path, "map_msync_bad", "--error-exitcode=7")
    assert bad.returncode == 7, bad.stderr
    assert_finding_at(bad, "map_msync.c", "STORE", "unpersisted stores")
    assert "exit 7 (--error-exitcode=7)" in bad.stderr
    (tmp_path / "pmem" / "pool").unlink()
    ok = run(pmemu_bin, tmp_path, "map_msync_ok", "--error-exitcode=7")
    assert_no_findings(ok)
    # what msync made durable is in the real file after the run
    data = (tmp_path / "pmem" / "pool").read_bytes()
    assert data.startswith(b"written through a mapping")


def test_error_exitcode_absent_keeps_program_status(pmemu_bin, tmp_path):
    bad = run(pmemu_bin, tmp_path, "map_msync_bad")
    assert bad.returncode == 0
    assert "unpersisted stores" in bad.stderr


def test_pwrite_fsync_pagecache_twins(pmemu_bin, tmp_path):
    bad = run(pmemu_bin, tmp_path, "pwrite_fsync_bad", "--domain",
              "pagecache")
    assert_finding_at(bad, "pwrite_fsync.c", "STORE", "unpersisted stores")
    ok = run(pmemu_bin, tmp_path, "pwrite_fsync_ok", "--domain",
             "pagecache")
    assert_no_findings(ok)


def test_fence_on_the_wrong_thread(pmemu_bin, tmp_path):
    bad = run(pmemu_bin, tmp_path, "threads_fence_bad")
    assert_finding_at(bad, "threads_fence.c", "FLUSH", "missing fence")
    ok = run(pmemu_bin, tmp_path, "threads_fence_ok")
    assert_no_findings(ok)


def test_forked_child_twins(pmemu_bin, tmp_path):
    bad = run(pmemu_bin, tmp_path, "fork_child_bad")
    assert bad.returncode == 0, bad.stderr  # parent saw the child's store
    assert_finding_at(bad, "fork_child.c", "STORE", "unpersisted stores")
    ok = run(pmemu_bin, tmp_path, "fork_child_ok")
    assert_no_findings(ok)
    data = (tmp_path / "pmem" / "pool").read_bytes()
    assert data[4096:4096 + 18] == b"the child was here"


def test_program_sigsegv_handler_still_gets_real_faults(pmemu_bin,
                                                         tmp_path):
    res = run(pmemu_bin, tmp_path, "own_segv")
    assert res.returncode == 42, res.stderr
    assert "caught my own fault" in res.stdout
    assert (tmp_path / "pmem" / "pool").read_bytes().startswith(
        b"before the fault")


def test_sparse_gib_pool_stays_small(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "sparse_pool")
    assert res.returncode == 0, res.stderr
    vals = dict(line.split() for line in res.stdout.splitlines())
    # the view holds the touched MiB, not the GiB; so does the process
    assert int(vals["allocated"]) <= 4 << 20, res.stdout
    assert int(vals["maxrss_kib"]) <= 64 << 10, res.stdout
    media = tmp_path / "pmem" / "pool"
    assert media.stat().st_size == 1 << 30
    assert media.stat().st_blocks * 512 <= 4 << 20


def test_recycled_twins_skip_open_pages(pmemu_bin, tmp_path):
    # 6,143 pages settled while page 0 stays open (hot): the twins that
    # go back to the pool (shim_dirty_twin.c) must not be page 0's
    pool = tmp_path / "pmem" / "pool"
    assert_no_findings(run(pmemu_bin, tmp_path, "big_pool",
                           args=[str(pool), "reuse"]))


@pytest.mark.skipif(shutil.which("strace") is None, reason="no strace")
def test_settled_twins_not_given_back_one_by_one(pmemu_bin, tmp_path):
    # the same 6,144 pages: their twins go back to the pool, none to the
    # kernel (past the pool, a batch of adjacent pages per madvise: never
    # one call per page, as before either); the calls that populate a
    # sequential pass's next pages (core/shim_populate.c) are not those
    pm = tmp_path / "pmem"
    pm.mkdir()
    log = tmp_path / "strace"
    res = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=madvise", "-o", str(log),
         pmemu_bin, "run", "--pmem-dir", str(pm), "--",
         str(PROGS / "big_pool"), str(pm / "pool"), "reuse"],
        capture_output=True, text=True, env=clean_env(), timeout=600)
    assert_no_findings(res)
    calls = [c for c in log.read_text().splitlines()
             if "madvise(" in c and "MADV_POPULATE_" not in c]
    assert len(calls) <= 6144 // 64, len(calls)


def unwinds(pmemu_bin, tmp_path, prog, *args):
    """rt_sigprocmask calls of `pmemu run` of prog: libunwind masks
    signals around its caches, so they grow with the captures that
    unwind"""
    pm = tmp_path / "pmem"
    pm.mkdir(exist_ok=True)
    log = tmp_path / "strace"
    res = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=rt_sigprocmask", "-o",
         str(log), pmemu_bin, "run", "--pmem-dir", str(pm), "--",
         str(PROGS / prog), *args],
        capture_output=True, text=True, env=clean_env(), timeout=600)
    assert_no_findings(res)
    return log.read_text().count("rt_sigprocmask(")


@pytest.mark.skipif(shutil.which("strace") is None, reason="no strace")
def test_site_cache_holds_a_hundred_call_chains(pmemu_bin, tmp_path):
    # 100 keys of the capture cache (site.c): the first round unwinds
    # each once, 49 more must hit (with 64 entries, 84 % missed)
    one = unwinds(pmemu_bin, tmp_path, "deep_sites", "1")
    fifty = unwinds(pmemu_bin, tmp_path, "deep_sites", "50")
    assert fifty < one * 2, (one, fifty)


def preload(prog, tmp_path, **env):
    """The program under a bare LD_PRELOAD, PMEMU_* from env."""
    pm = tmp_path / "pmem"
    pm.mkdir(exist_ok=True)
    e = clean_env(LD_PRELOAD=os.path.join(libdir(), "libpmemu.so"),
                  PMEMU_PMEM_DIR=str(pm), **env)
    return subprocess.run([str(PROGS / prog), str(pm / "pool")],
                          capture_output=True, text=True, env=e,
                          timeout=600)


@pytest.mark.parametrize("name,value,says", [
    ("PMEMU_DOMAIN", "dax", "PMEMU_DOMAIN='dax'"),
    ("PMEMU_LINE", "48", "power of two"),
    ("PMEMU_SECTOR", "1k", "512 or 4096"),
    ("PMEMU_CLFLUSH", "sometimes", "strong or weak"),
    ("PMEMU_FOO", "1", "unknown variable PMEMU_FOO"),
])
def test_bad_environment_stops_with_one_line(tmp_path, name, value, says):
    res = preload("map_msync_ok", tmp_path, **{name: value})
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("pmemu: error: ")
    assert says in lines[0]


def test_bad_option_through_the_cli(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "map_msync_ok", "--domain=dax")
    assert res.returncode == 2
    assert "--domain / PMEMU_DOMAIN='dax'" in res.stderr
    res = run(pmemu_bin, tmp_path, "map_msync_ok", "--error-exitcode=x")
    assert res.returncode == 2
    assert res.stderr.startswith("pmemu: error: --error-exitcode")


def test_log_file_and_quiet(pmemu_bin, tmp_path):
    log = tmp_path / "report.txt"
    res = run(pmemu_bin, tmp_path, "map_msync_bad", f"--log-file={log}")
    assert "unpersisted" not in res.stderr
    assert f"map_msync.c:{line_of('map_msync.c', 'STORE')})" in \
        log.read_text()
    (tmp_path / "pmem" / "pool").unlink()
    res = run(pmemu_bin, tmp_path, "map_msync_ok", "--quiet")
    assert res.stderr == ""


def dump(pmemu_bin, trace):
    return subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, timeout=600)


def test_record_keeps_events_and_snapshots(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    trace = tmp_path / "t.trace"
    res = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(pm), "--",
                          str(PROGS / "map_msync_ok"), str(pm / "pool")],
                         capture_output=True, text=True, env=clean_env(),
                         timeout=600)
    assert res.returncode == 0, res.stderr
    out = dump(pmemu_bin, trace)
    assert out.returncode == 0, out.stderr
    kinds = [line.split()[1] for line in out.stdout.splitlines()
             if re.match(r"[0-9a-f]{8} ", line)]
    for k in ("region", "store", "snapshot", "msync", "shutdown", "end"):
        assert k in kinds, out.stdout
    assert kinds.index("store") < kinds.index("snapshot") < \
        kinds.index("msync")


def test_record_survives_sigkill(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    trace = tmp_path / "k.trace"
    res = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(pm), "--",
                          str(PROGS / "killed"), str(pm / "pool")],
                         capture_output=True, text=True, env=clean_env(),
                         timeout=600)
    assert res.returncode == 128 + 9
    out = dump(pmemu_bin, trace)
    assert out.returncode == 0, out.stderr
    assert " msync " in out.stdout
    assert " end " not in out.stdout
    # only what msync made durable reached the media
    data = (pm / "pool").read_bytes()
    assert data.startswith(b"durable before the kill")
    assert b"never durable" not in data


def test_list_prints_ndctl_namespaces(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    with open(pm / "a.pool", "wb") as f:
        f.truncate(1 << 20)
    (pm / "sub").mkdir()
    for dom, pd in (("adr", "memory_controller"), ("eadr", "cpu_cache")):
        res = subprocess.run([pmemu_bin, "list", "--pmem-dir", str(pm),
                              "--domain", dom], capture_output=True,
                             text=True, env=clean_env(), timeout=600)
        assert res.returncode == 0, res.stderr
        regions = json.loads(res.stdout)
        assert regions[0]["persistence_domain"] == pd
        ns = regions[0]["namespaces"]
        assert len(ns) == 1
        assert ns[0]["mode"] == "fsdax"
        assert ns[0]["size"] == 1 << 20
        assert ns[0]["blockdev"] == "pmem0"
        assert ns[0]["dev"] == "namespace0.0"
        assert "align" in ns[0]
