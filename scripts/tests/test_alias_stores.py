"""test_alias_stores.py -- plugin-built stores made through the views'
writable alias (libshim/api/hooks.c, "Stores through the alias").

A plain store the plugin finds in the slot's range adds the slot's delta
to its address, so it lands in the alias and the view page stays
read-only and clean; its hook reports it as before. Findings, the pool
file the run leaves and `pmemu record` traces must be the ones of the
same build with the alias off (PMEMU_ALIAS_STORES=0: each store to a
protected page faults), for progs/alias_store.c and every mode of
progs/store_log.c (threads, fork, runs, a full log); stores of
uninstrumented code beside them are still seen; a page the program made
read-only still faults; memory the program maps over the alias is never
written; a module of ABI 2 keeps its two-word slot; with three pools
mapped one after the other, stores to each go through the alias too.
"""
import re
import subprocess

import pytest

from conftest import SOURCE
from test_store_log import plugin_build
from test_store_log import pmemu as run_with
from test_store_log import recorded as store_log_recorded

PROGS = SOURCE / "scripts" / "tests" / "progs"
ALIAS_MODES = ["unflushed", "ok", "memcpy", "mprotect", "pools"]
LOG_MODES = ["overwrite", "many", "threads", "fork", "runs", "lines",
             "runs-full"]
TABLE_KINDS = {"site", "site-src", "module"}


@pytest.fixture(scope="module")
def progs(tmp_path_factory, cc):
    out = tmp_path_factory.mktemp("alias_stores")
    return {"alias_store": plugin_build(cc, PROGS / "alias_store.c",
                                        out / "alias_store", "-O2"),
            "store_log": plugin_build(cc, PROGS / "store_log.c",
                                      out / "store_log")}


def pmemu(pmemu_bin, tmp_path, exe, mode, alias, *args):
    return run_with(pmemu_bin, tmp_path, exe, mode, alias, *args,
                    var="PMEMU_ALIAS_STORES")


def normalized(dump):
    """the events in order, each site named by its source place when it
    has one, else by its order of first use (a fault's site is recorded
    where the fault happened: with the alias, a store that no longer
    faults leaves no such site in the table); threads and processes by
    order of appearance"""
    names, unnamed, ids = {}, {}, {}
    for line in dump.splitlines()[1:]:
        m = re.match(r"\S+\s+site-src\s+tid=\d+ site=0 site=(\d+) (.*)",
                     line)
        if m:
            names[m.group(1)] = m.group(2)

    def site(m):
        if m.group(1) == "0":
            return "site=0"
        return "site=" + names.get(m.group(1), unnamed.setdefault(
            m.group(1), f"#{len(unnamed)}"))

    def rename(m):
        return f"{m.group(1)}={ids.setdefault(m.group(2), len(ids))}"

    events = []
    for line in dump.splitlines()[1:]:
        _, kind, rest = line.split(None, 2)
        if kind in TABLE_KINDS:
            continue
        rest = re.sub(r"\b(tid|pid|ppid)=(\d+)", rename, rest)
        events.append(f"{kind} " + re.sub(r"\bsite=(\d+)", site, rest))
    return events


def recorded(pmemu_bin, tmp_path, exe, mode, alias, domain):
    return store_log_recorded(pmemu_bin, tmp_path, exe, mode, alias, domain,
                              var="PMEMU_ALIAS_STORES", normalize=normalized)


CASES = [("alias_store", m) for m in ALIAS_MODES] + \
    [("store_log", m) for m in LOG_MODES]


@pytest.mark.parametrize("domain", ["adr", "eadr"])
@pytest.mark.parametrize("prog,mode", CASES)
def test_findings_same_with_and_without_alias(pmemu_bin, tmp_path, progs,
                                              prog, mode, domain):
    """and the same pool file"""
    got = {}
    for alias in ("1", "0"):
        res = pmemu(pmemu_bin, tmp_path, progs[prog], mode, alias, "run",
                    "--domain", domain)
        assert res.returncode == 0, res.stderr
        got[alias] = (res.stdout, res.stderr,
                      (tmp_path / "pm" / "pool").read_bytes())
    assert got["1"] == got["0"]


@pytest.mark.parametrize("domain", ["adr", "eadr"])
@pytest.mark.parametrize("prog,mode",
                         [c for c in CASES if c != ("store_log", "fork")])
def test_trace_same_with_and_without_alias(pmemu_bin, tmp_path, progs,
                                           prog, mode, domain):
    events = recorded(pmemu_bin, tmp_path, progs[prog], mode, "1", domain)
    assert events == recorded(pmemu_bin, tmp_path, progs[prog], mode, "0",
                              domain)
    assert any(e.startswith("store ") for e in events), events


def from_diffs(event):
    """an event a diff of the parent's page made: an untraced store, or
    the snapshot of its line at the fault's site"""
    return event.endswith(" untraced") or \
        (event.startswith("snapshot ") and " site=#" in event)


@pytest.mark.parametrize("domain", ["adr", "eadr"])
def test_trace_of_fork_without_diffs_of_child_stores(pmemu_bin, tmp_path,
                                                     progs, domain):
    """the one difference: without the alias, the parent's store before
    the fork opened the page and took its twin; the child's traced stores
    to it then showed in the parent's diff as untraced stores again (the
    child's twin is its own). Through the alias the parent's page stays
    clean, and the trace is the other one without those duplicates."""
    events = recorded(pmemu_bin, tmp_path, progs["store_log"], "fork", "1",
                      domain)
    before = recorded(pmemu_bin, tmp_path, progs["store_log"], "fork", "0",
                      domain)
    assert not any(from_diffs(e) for e in events), events
    assert events == [e for e in before if not from_diffs(e)]


def source_line(mark):
    src = (PROGS / "alias_store.c").read_text().splitlines()
    return next(i for i, t in enumerate(src, 1) if mark in t)


def test_unflushed_store_reported_at_its_line(pmemu_bin, tmp_path, progs):
    """the line never flushed is reported at its stores' line; the correct
    twin (every line flushed) reports nothing"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "unflushed", "1",
                "run")
    assert res.returncode == 0, res.stderr
    assert "1 line, first at pool+0x100" in res.stderr, res.stderr
    line = source_line("words[line * 8 + i] = v")
    assert f"at fill_line (alias_store.c:{line})" in res.stderr, res.stderr
    ok = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "ok", "1", "run")
    assert ok.returncode == 0 and ok.stderr == "pmemu: no findings\n", \
        ok.stderr


def test_plugin_store_and_libc_memcpy_both_seen(pmemu_bin, tmp_path, progs):
    """one page: the plugin-built store through the alias, libc's memcpy
    through page protection"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "memcpy", "1",
                "run")
    assert res.returncode == 0, res.stderr
    assert "first at pool+0x0\n" in res.stderr, res.stderr
    assert f"at with_memcpy (alias_store.c:{source_line('ALIASED')})" in \
        res.stderr, res.stderr
    assert "first at pool+0x200\n" in res.stderr, res.stderr


@pytest.mark.parametrize("alias,expect", [("1", "read-only"),
                                          ("0", "writable")])
def test_view_page_stays_read_only(pmemu_bin, tmp_path, progs, alias,
                                   expect):
    """through the alias, a page whose every line is stored twice is never
    opened (no fault, no mprotect); without, it is"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "prot", alias,
                "run")
    assert res.returncode == 0, res.stderr
    assert res.stdout == expect + "\n", res.stdout


@pytest.mark.parametrize("alias,expect", [("1", "read-only"),
                                          ("0", "writable")])
def test_stores_to_every_pool_through_the_alias(pmemu_bin, tmp_path, progs,
                                                alias, expect):
    """three pools mapped one after the other stay one range of views
    (the shim's own tables go far from them): stores to each go through
    the alias, no page is opened, and the line left unflushed in the
    second pool is reported at its stores' line"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "pools-prot",
                alias, "run")
    assert res.returncode == 0, res.stderr
    assert res.stdout == expect + "\n", (res.stdout, res.stderr)
    assert "1 line, first at pool2+0x100\n" in res.stderr, res.stderr
    line = source_line("words[line * 8 + i] = v")
    assert f"at fill_line (alias_store.c:{line})" in res.stderr, res.stderr


def test_store_to_page_made_read_only_faults(pmemu_bin, tmp_path, progs):
    """the program's own mprotect turns the alias off: its store faults"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "readonly", "1",
                "run")
    assert res.stdout == "SIGSEGV\n", (res.stdout, res.stderr)


def test_memory_mapped_over_the_alias_is_not_written(pmemu_bin, tmp_path,
                                                    progs):
    """the program's own mapping over the alias (MAP_FIXED) takes it away:
    the store goes to the view, faults and is seen"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "fixed", "1",
                "run")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "untouched\n", (res.stdout, res.stderr)
    assert "first at pool+0x0\n" in res.stderr, res.stderr


def test_alias_goes_with_its_view(pmemu_bin, tmp_path, progs):
    """munmap of the view unmaps its alias too (the program may map that
    address again)"""
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "unmapped", "1",
                "run")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "gone\n", (res.stdout, res.stderr)


def test_alias_stores_value_checked(pmemu_bin, tmp_path, progs):
    res = pmemu(pmemu_bin, tmp_path, progs["alias_store"], "ok", "2", "run")
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("pmemu: error:") and \
        "PMEMU_ALIAS_STORES" in res.stderr, res.stderr


def test_abi2_slot_keeps_two_words(pmemu_bin, tmp_path, cc):
    """a module of an older plugin registers a two-word slot: the runtime
    fills it and writes nothing after it"""
    exe = tmp_path / "alias_abi2"
    subprocess.run([cc, "-O1", str(PROGS / "alias_abi2.c"), "-o", str(exe)],
                   check=True)
    res = pmemu(pmemu_bin, tmp_path, exe, "", "1", "run")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "in 5a5a5a5a\n", res.stdout
