"""test_obj_set_clean.py -- what END_TX cleans of libpmemobj's run-time
state, counted in a recorded trace.

libpmemobj declares parts of its pool run-time state with
REMOVE_PMEM_MAPPING, some inside others (a lane's state and fields in it);
each END_TX makes them clean again (libshim/valgrind/shim_tx.c). Cleaning
a part inside one just cleaned changes nothing, so a transaction's
set-clean events name only the outermost parts: one event for each part
that no other contains, not one for every overlap of two parts.
"""
import subprocess

from conftest import SOURCE
from test_libpmem_run import clean_env

BENCH = SOURCE / "scripts" / "bench"


def set_cleans(pmemu_bin, exe, pmem_dir, trace, transactions):
    """the (off, len) of every set-clean event of a recorded run"""
    pmem_dir.mkdir()
    res = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(pmem_dir), "--", str(exe),
                          str(pmem_dir / "pool"), str(transactions)],
                         capture_output=True, text=True, env=clean_env())
    assert res.returncode == 0, res.stderr
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, check=True)
    out = []
    for ln in dump.stdout.splitlines():
        f = ln.split()
        if len(f) > 1 and f[1] == "set-clean":
            kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
            out.append((int(kv["region"]), int(kv["off"], 16),
                        int(kv["len"])))
    return out


def outermost(ranges):
    """the distinct ranges no other distinct range contains"""
    d = set(ranges)
    return {r for r in d if not any(
        o != r and o[0] == r[0] and o[1] <= r[1] and
        r[1] + r[2] <= o[1] + o[2] for o in d)}


def test_end_tx_cleans_each_outermost_part_once(pmemu_bin, tmp_path, cc):
    exe = tmp_path / "bench_obj"
    subprocess.run([cc, "-O2", "-I", str(BENCH), "-o", str(exe),
                    str(BENCH / "bench_obj.c"), "-lpmemobj"], check=True)
    few = set_cleans(pmemu_bin, exe, tmp_path / "a", tmp_path / "a.trace", 8)
    more = set_cleans(pmemu_bin, exe, tmp_path / "b", tmp_path / "b.trace",
                      24)
    per_tx = (len(more) - len(few)) / 16
    # the parts: what is cleaned at least once a transaction
    parts = outermost(r for r in set(more) if more.count(r) >= 24)
    assert parts, more
    # before: 13 a transaction (5 parts, every overlap of two)
    assert per_tx == len(parts), (per_tx, sorted(set(more)))
