"""test_store_log.py -- the store log of plugin-built stores (docs/shim.md).

The owner thread's stores wait in the log until the lock is next taken;
progs/store_log.c stores through it (a word stored twice before its
flush, more stores than the log holds, two threads taking turns on one
word, a fork, runs of stores the drain merges into one model event and
stores that end a run, lines of stores the plugin reports in one call of
__pmemu_store_run, such runs filling the log in their middle) and each
mode's findings and recorded events must be the ones the shim gives with
each store emitted at once (PMEMU_STORE_LOG=0): a merged run counts its
stores and names the site of its first.
"""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, SOURCE
from test_libpmem_run import clean_env

PROG = SOURCE / "scripts" / "tests" / "progs" / "store_log.c"
PLUGIN = BUILD / "lib" / "pmemu-gcc.so"
MODES = ["overwrite", "many", "threads", "fork", "runs", "lines",
         "runs-full", "opened"]
# written when first named or later (docs/report-format.md): a table
SITE_KINDS = {"site", "site-src", "module"}


def plugin_build(cc, src, exe, opt="-O1"):
    """src built with the plugin into exe"""
    if not PLUGIN.exists():
        pytest.skip("plugin not built")
    subprocess.run([cc, f"-fplugin={PLUGIN}", "-g", opt, "-mclwb", "-I",
                    str(SOURCE / "include"), str(src), "-o", str(exe),
                    "-lpthread"], check=True)
    return exe


@pytest.fixture(scope="module")
def prog(tmp_path_factory, cc):
    return plugin_build(cc, PROG,
                        tmp_path_factory.mktemp("store_log") / "store_log")


def pmemu(pmemu_bin, tmp_path, exe, mode, log, *args,
          var="PMEMU_STORE_LOG"):
    """exe POOL [MODE] under pmemu ARGS, with the variable var = log"""
    pm = tmp_path / "pm"  # one path: the reports and traces name it
    shutil.rmtree(pm, ignore_errors=True)
    pm.mkdir()
    env = clean_env()
    env[var] = log
    argv = [str(exe), str(pm / "pool")] + ([mode] if mode else [])
    return subprocess.run([pmemu_bin, *args, "--pmem-dir", str(pm), "--",
                           *argv], capture_output=True, text=True, env=env)


def normalized(dump):
    """the events in order, the site table apart; threads and processes
    named by order of appearance, modules by path"""
    ids = {}

    def rename(m):
        return f"{m.group(1)}={ids.setdefault(m.group(2), len(ids))}"

    events, table = [], set()
    for line in dump.splitlines()[1:]:
        _, kind, rest = line.split(None, 2)
        rest = re.sub(r"\b(tid|pid|ppid)=(\d+)", rename, rest)
        rest = re.sub(r" base=0x[0-9a-f]+", "", rest)
        (table.add if kind in SITE_KINDS else events.append)(
            f"{kind} {rest}")
    return events, table


def recorded(pmemu_bin, tmp_path, exe, mode, log, domain="adr",
             var="PMEMU_STORE_LOG", normalize=normalized):
    trace = tmp_path / f"{mode}-{log}.trace"
    res = pmemu(pmemu_bin, tmp_path, exe, mode, log, "record", "-o",
                str(trace), "--domain", domain, var=var)
    assert res.returncode == 0, res.stderr
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, check=True).stdout
    return normalize(dump)


@pytest.mark.parametrize("domain", ["adr", "eadr"])
@pytest.mark.parametrize("mode", MODES)
def test_findings_same_with_and_without_log(pmemu_bin, tmp_path, prog, mode,
                                            domain):
    """and the same pool file: the media the run left (eadr: each store's
    bytes written through as the store is emitted)"""
    got = {}
    for log in ("1", "0"):
        res = pmemu(pmemu_bin, tmp_path, prog, mode, log, "run",
                    "--domain", domain)
        assert res.returncode == 0, res.stderr
        got[log] = (res.stderr, (tmp_path / "pm" / "pool").read_bytes())
    assert got["1"] == got["0"]
    text = got["1"][0]
    assert "unpersisted store" in text or "not durable" in text or \
        domain == "eadr", text


@pytest.mark.parametrize("domain", ["adr", "eadr"])
@pytest.mark.parametrize("mode", MODES)
def test_trace_same_with_and_without_log(pmemu_bin, tmp_path, prog, mode,
                                         domain):
    """eadr: the media takes each store's bytes as the store is emitted"""
    events, table = recorded(pmemu_bin, tmp_path, prog, mode, "1", domain)
    assert (events, table) == recorded(pmemu_bin, tmp_path, prog, mode, "0",
                                       domain)
    assert any(e.startswith("store ") for e in events), events


def test_each_store_keeps_its_bytes(pmemu_bin, tmp_path, prog):
    """the log copies a store's bytes: the later store to the same word
    does not change what the first one wrote"""
    events, _ = recorded(pmemu_bin, tmp_path, prog, "overwrite", "1")
    stores = [e for e in events if e.startswith("store ")
              and "off=0x0 " in e]
    assert [s.split("data=")[1] for s in stores] == \
        ["0100000000000000", "0200000000000000"], events


@pytest.mark.parametrize("log", ["1", "0"])
def test_flush_takes_the_line_as_flushed(pmemu_bin, tmp_path, prog, log):
    """a flush that waits in the log (shim_events.c, "Flushes in the store
    log") writes back its copy of the line: the stores after it, before
    the fence, are not durable (the pool file of a run killed by SIGKILL
    holds what was durable)"""
    res = pmemu(pmemu_bin, tmp_path, prog, "reflush", log, "run")
    assert res.returncode != 0, res.stderr
    pool = (tmp_path / "pm" / "pool").read_bytes()
    words = [int.from_bytes(pool[i:i + 8], "little") for i in range(0, 72, 8)]
    assert words == [1, 2, 3, 4, 5, 6, 7, 8, 9], words


def test_store_log_value_checked(pmemu_bin, tmp_path, prog):
    res = pmemu(pmemu_bin, tmp_path, prog, "overwrite", "2", "run")
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("pmemu: error:") and \
        "PMEMU_STORE_LOG" in res.stderr, res.stderr


def run_line(src=PROG):
    """the line of the RUN mark in store_log.c"""
    return next(i for i, t in enumerate(src.read_text().splitlines(), 1)
                if "/* RUN */" in t)


def test_store_run_called(prog):
    """fill_lines' stores reach the runtime through __pmemu_store_run"""
    dis = subprocess.run(["objdump", "-d", str(prog)], capture_output=True,
                         text=True, check=True).stdout
    assert re.search(r"call .*<__pmemu_store_run@plt>", dis), dis[-2000:]


@pytest.mark.parametrize("log", ["1", "0"])
def test_store_run_unflushed_line_reported(pmemu_bin, tmp_path, prog, log):
    """the line never flushed is reported at the stores' line; the correct
    twin (every line flushed) reports nothing"""
    res = pmemu(pmemu_bin, tmp_path, prog, "lines", log, "run")
    assert res.returncode == 0, res.stderr
    assert "unpersisted stores: 4 stores from 1 site" in res.stderr, \
        res.stderr
    assert f"store_log.c:{run_line()})" in res.stderr, res.stderr
    assert "4 stores, 1 line, first at pool+0xc0" in res.stderr, res.stderr
    ok = pmemu(pmemu_bin, tmp_path, prog, "lines-ok", log, "run")
    assert ok.returncode == 0 and ok.stderr == "pmemu: no findings\n", \
        ok.stderr


def test_store_run_recorded_store_by_store(pmemu_bin, tmp_path, prog):
    """a run's stores are recorded one by one, each with its own bytes"""
    events, _ = recorded(pmemu_bin, tmp_path, prog, "lines", "1")
    stores = [e for e in events if e.startswith("store ")]
    offs = [int(re.search(r"off=(0x[0-9a-f]+)", e).group(1), 16)
            for e in stores]
    assert offs == list(range(0, 256, 16)), stores
    assert all(" len=16 " in e or e.endswith(" len=16") for e in stores), \
        stores
