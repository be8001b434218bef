"""test_trace_versions.py -- the same programs recorded with trace format
version 1 and version 2 (PMEMU_TRACE_VERSION) give the same records, one
for one, and `pmemu explore` the same results (docs/trace-format.md)."""
import collections
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, SOURCE

PMEMU = os.environ.get("PMEMU") or str(BUILD / "bin" / "pmemu")
SHIM = BUILD / "shim-progs"
RAW = BUILD / "raw-progs"
# what differs from run to run whatever the format: the file offset that
# starts each line, pids and tids, where modules were loaded
RUN_FIELDS = re.compile(r"\b(pid|ppid|tid|base)=\S+")
# the first bytes of the image decide a check's verdict: a check whose
# verdicts differ from state to state, the same for the same image
HASH_CHECK = ("python3 -c \"import hashlib,sys; p=sys.argv[1]; "
              "sys.exit(hashlib.sha1(open(p,'rb').read()).digest()[0] & 1)\""
              " {pmem}")


def record(tmp_path, version, argv):
    """`pmemu record` of argv ({pm}: the pmem dir, the same path for every
    version) with PMEMU_TRACE_VERSION=version: the trace's path"""
    pm = tmp_path / "pm"
    shutil.rmtree(pm, ignore_errors=True)
    pm.mkdir()
    trace = tmp_path / f"v{version}.trace"
    env = dict(os.environ, PMEMU_TRACE_VERSION=str(version))
    r = subprocess.run([PMEMU, "record", "-o", str(trace), "--pmem-dir",
                        str(pm), "--", *[a.replace("{pm}", str(pm))
                                         for a in argv]],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    with open(trace, "rb") as f:
        head = f.read(12)
    assert int.from_bytes(head[8:12], "little") == version
    return trace


def is_definition(text):
    """a module or site record: written by whichever process of the run
    flushes the shared site tables first (libshim/site/site.c), so its
    tid and its place among another process's events are the
    scheduler's (a forked child's sites, written by its parent)"""
    return text.startswith(("module", "site"))


def records_of(dump, keep_data=True):
    """trace-dump's records without their offsets: [(tid, text)], the
    tids numbered by first appearance in the events; a definition has
    tid None"""
    tids, out = {}, []
    for line in dump.splitlines()[1:]:
        rec = line.split(None, 1)[1]
        m = re.search(r"\btid=(\d+)", rec)
        tid = tids.setdefault(m.group(1), len(tids)) \
            if m and not is_definition(rec) else None
        if not keep_data:
            rec = re.sub(r"\bdata=\S+", "", rec)
        out.append((tid, RUN_FIELDS.sub("", rec)))
    return out


def records(trace, keep_data=True):
    """records_of the trace's dump"""
    r = subprocess.run([PMEMU, "trace-dump", str(trace)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return records_of(r.stdout, keep_data)


def in_order(recs):
    """the events in their order, the definitions as a multiset"""
    return ([r for r in recs if not is_definition(r[1])],
            collections.Counter(text for _, text in recs
                                if is_definition(text)))


def data_modes(trace):
    """{data mode: events} of a version-2 trace (docs/trace-format.md):
    0 none, 1 bytes, 2 the same, 3 a delta"""
    b = trace.read_bytes()
    modes, pos = collections.Counter(), 128
    while pos + 8 <= len(b):
        blen, shift, q = 0, 0, pos + 6
        while True:
            blen |= (b[q] & 0x7f) << shift
            q, shift = q + 1, shift + 7
            if not b[q - 1] & 0x80:
                break
        if not b[pos + 4] & 0x20:
            modes[b[pos + 5] >> 6] += 1
        pos += (q - pos + blen + 3) & ~3
    return modes


def unordered(recs):
    """the records as a multiset: which thread stored a line the page
    protection saw is the scheduler's, as are the sites' and modules'
    numbers (the order threads reach them)"""
    return collections.Counter(
        re.sub(r"\bsite=\d+ ", "", text) for _, text in recs
        if not text.startswith(("module", "site")))


def explore(tmp_path, trace, check):
    """`pmemu explore --trace` with check: its report without the paths"""
    report = tmp_path / (trace.stem + ".json")
    r = subprocess.run([PMEMU, "explore", "--trace", str(trace), "--check",
                        check, "--json", str(report)],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    rep = json.loads(report.read_text())
    rep.pop("trace")
    return rep, r.returncode


def bench_store(tmp_path, flags, plugin=False):
    """scripts/bench/bench_store.c built with flags (and the plugin)"""
    exe = tmp_path / ("bench_store" + "".join(flags) + ("-p" if plugin
                                                        else ""))
    cmd = ["gcc", "-O2", "-g", "-I", str(SOURCE / "scripts" / "bench"),
           *flags, "-o", str(exe), str(SOURCE / "scripts" / "bench" /
                                       "bench_store.c"), "-lpmem"]
    if plugin:
        cmd[1:1] = [f"-fplugin={BUILD / 'lib' / 'pmemu-gcc.so'}", "-I",
                    str(SOURCE / "include")]
    subprocess.run(cmd, check=True)
    return str(exe)


# deterministic programs: every record equal, in order, and explore's
# report equal under a check that passes some images and fails others
ORDERED = {
    "raw": [str(RAW / "raw_clwb_buggy"), "{pm}/f"],
    "raw-plugin": [str(RAW / "raw_clwb_plugin_ok"), "{pm}/f"],
    "libpmem": [str(SHIM / "libpmem_listing34_ok"), "{pm}/f"],
    "fork": [str(SHIM / "fork_child_ok"), "{pm}/f"],
    "exec": [str(SHIM / "exec_self_ok"), "{pm}/pool"],
}


@pytest.mark.parametrize("name", sorted(ORDERED))
def test_ordered_programs_same_records_and_results(tmp_path, name):
    argv = ORDERED[name]
    if not os.path.exists(argv[0]):
        pytest.skip(f"{argv[0]} not built")
    v1 = record(tmp_path, 1, argv)
    v2 = record(tmp_path, 2, argv)
    r1, r2 = records(v1), records(v2)
    assert len(r1) > 5
    assert in_order(r1) == in_order(r2)
    assert data_modes(v2)[3] > 0  # data coded as deltas among them
    assert explore(tmp_path, v1, HASH_CHECK) == explore(tmp_path, v2,
                                                        HASH_CHECK)


# fork_child_ok recorded twice: its child's module and site records
# written by the child, then by the parent (its lock taken between the
# child's fault, which interns the store's site, and the child's msync):
# seen once in 200 runs beside `ctest -j2`
CHILD_WRITES = """# pmemu trace v2 program=fork_child_ok pid=10
00000080 region        tid=10 site=0 region=0 domain=adr len=0 path=f
000000d8 process       tid=11 site=0 pid=11 ppid=10
000000ec module        tid=11 site=0 module=0 base=0x5000 path=fork_child_ok
00000170 site          tid=11 site=0 site=1 frames=4
0000026c store         tid=11 site=1 region=0 off=0x1000 len=64 untraced
000002d8 shutdown      tid=10 site=0 region=4294967295 off=0x0 len=0
"""
PARENT_WRITES = """# pmemu trace v2 program=fork_child_ok pid=20
00000080 region        tid=20 site=0 region=0 domain=adr len=0 path=f
000000d8 process       tid=21 site=0 pid=21 ppid=20
0000026c store         tid=21 site=1 region=0 off=0x1000 len=64 untraced
000000ec module        tid=20 site=0 module=0 base=0x6000 path=fork_child_ok
00000170 site          tid=20 site=0 site=1 frames=4
000002d8 shutdown      tid=20 site=0 region=4294967295 off=0x0 len=0
"""


def test_definitions_any_process_writes_compare_equal():
    child, parent = records_of(CHILD_WRITES), records_of(PARENT_WRITES)
    assert in_order(child) == in_order(parent)
    # an event of another process, or out of order, is a difference
    swapped = PARENT_WRITES.replace("store         tid=21",
                                    "store         tid=20")
    assert in_order(records_of(swapped)) != in_order(child)
    lines = CHILD_WRITES.splitlines()  # the store before the site
    lines[4], lines[5] = lines[5], lines[4]
    assert in_order(records_of("\n".join(lines))) == in_order(child)
    lines[4], lines[6] = lines[6], lines[4]  # the store after the end
    assert in_order(records_of("\n".join(lines))) != in_order(child)


@pytest.mark.parametrize("flags", [["-DBENCH_RAW", "-mclwb"], []],
                         ids=["raw", "libpmem"])
def test_store_loop_same_records_smaller_trace(tmp_path, flags):
    """a store-flush-fence loop of 1 MiB: the same 80000-odd records in
    fewer than a fifth of the bytes (each line's data a delta against the
    line before)"""
    argv = [bench_store(tmp_path, flags), "{pm}/pool", "1", "1"]
    v1 = record(tmp_path, 1, argv)
    v2 = record(tmp_path, 2, argv)
    assert records(v1) == records(v2)
    assert data_modes(v2)[3] > 10000
    assert os.path.getsize(v2) * 5 < os.path.getsize(v1)


def test_libpmemobj_same_records_and_counts(tmp_path):
    """a transaction's pool has a random uuid: equal but for data bytes"""
    argv = [str(SHIM / "libpmemobj_tx_ok"), "{pm}/pool"]
    v1 = record(tmp_path, 1, argv)
    v2 = record(tmp_path, 2, argv)
    assert records(v1, keep_data=False) == records(v2, keep_data=False)
    assert data_modes(v2)[3] > 0
    (e1, c1), (e2, c2) = explore(tmp_path, v1, "true"), \
        explore(tmp_path, v2, "true")
    assert (e1["counts"], c1) == (e2["counts"], c2)


def test_threads_same_records(tmp_path):
    """eight threads in rounds: their interleaving is the scheduler's, the
    records are the same, and explore's crash points"""
    argv = [str(SHIM / "threads_page"), "{pm}/f", "3"]
    v1 = record(tmp_path, 1, argv)
    v2 = record(tmp_path, 2, argv)
    r1, r2 = records(v1), records(v2)
    assert len({tid for tid, _ in r2}) >= 8
    assert len(r1) == len(r2)
    assert unordered(r1) == unordered(r2)
    # the images differ with the interleaving; the crash points do not
    (e1, c1), (e2, c2) = explore(tmp_path, v1, "true"), \
        explore(tmp_path, v2, "true")
    keep = ("points_total", "points", "states", "failing_states")
    assert [e1["counts"][k] for k in keep] == \
        [e2["counts"][k] for k in keep] and c1 == c2 == 0


def test_trace_version_malformed_stops_the_program(tmp_path):
    env = dict(os.environ, PMEMU_TRACE_VERSION="3")
    r = subprocess.run([PMEMU, "record", "-o", str(tmp_path / "t"),
                        "--pmem-dir", str(tmp_path), "--", "true"],
                       capture_output=True, text=True, env=env)
    assert r.returncode != 0
    lines = [x for x in r.stderr.splitlines() if "PMEMU_TRACE_VERSION" in x]
    assert len(lines) == 1 and "1 or 2" in lines[0], r.stderr



@pytest.mark.parametrize("seed", ["basic", "meta", "killed", "deltas"])
def test_fuzz_seeds_same_records_in_both_versions(seed):
    """the fuzz corpus's seeds: basic, meta and killed as version 2 was
    written before data deltas (those traces still read the same), deltas
    with every data mode"""
    corpus = SOURCE / "emulator" / "tests" / "fuzz" / "trace-corpus"
    v1, v2 = corpus / f"{seed}.trace", corpus / f"{seed}-v2.trace"
    # the rewritten seeds' end records are the version-2 writer's own
    r1, r2 = ([t for _, t in records(v) if not t.startswith("end")]
              for v in (v1, v2))
    assert len(r1) > 5 and r1 == r2
    assert data_modes(v2)[3] > 0 or seed != "deltas"
