#!/usr/bin/python3
"""trace_bench.py -- what `pmemu record` writes for a store-flush-fence
loop with trace format version 1 and version 2 (PMEMU_TRACE_VERSION):
bench_store.c as raw instructions (built plain: the shim sees each line's
stores by page protection and snapshots the line; and with the GCC
plugin: every store with its data) and with libpmem's pmem_persist.
Prints per program and version the trace's bytes, its events (records of
model events), bytes per event (of the whole file; of the event records
alone: `ev B/ev`) and per 64-byte line stored, the events by kind, and
the record's CPU (user + sys of the process tree) and wall time, the
median of --repeat interleaved runs, the load printed.

usage: trace_bench.py [--pmemu P] [--mib 16] [--passes 1] [--repeat 3]
                      [--dir DIR]

Bytes per event depend on the program: a snapshot carries its line's 64
bytes and a store of the plugin build its 8, whatever the format.
"""
import argparse
import collections
import os
import pathlib
import subprocess
import tempfile

import benchlib as bl

PROGRAMS = [  # name, flags, with the plugin
    ("raw", ["-DBENCH_RAW", "-mclwb"], False),
    ("raw-plugin", ["-DBENCH_RAW", "-mclwb"], True),
    ("libpmem", [], False),
]


def plugin_of(pmemu):
    return str(pathlib.Path(pmemu).resolve().parent.parent / "lib" /
               "pmemu-gcc.so")


def varint(b, p):
    """the varint at b[p]: (value, position after it)"""
    v, shift = 0, 0
    while True:
        c = b[p]
        v |= (c & 0x7f) << shift
        p, shift = p + 1, shift + 7
        if not c & 0x80:
            return v, p


def walk(trace):
    """{record type: (count, bytes)} of a finished trace of either
    version (docs/trace-format.md): event types are 1..15"""
    b = pathlib.Path(trace).read_bytes()
    version = int.from_bytes(b[8:12], "little")
    out = collections.defaultdict(lambda: [0, 0])
    pos = 128
    while pos + 8 <= len(b):
        if version == 1:
            total = int.from_bytes(b[pos:pos + 4], "little")
            kind = int.from_bytes(b[pos + 4:pos + 6], "little")
        else:
            blen, q = varint(b, pos + 6)
            total = (q - pos + blen + 3) & ~3
            kind = b[pos + 4] if b[pos + 4] & 0x20 else b[pos + 4] & 0x0f
        out[kind][0] += 1
        out[kind][1] += total
        pos += total
    return out


EVENT_NAMES = {1: "store", 2: "nt-store", 3: "movdir64b", 4: "snapshot",
               5: "clwb", 6: "clflushopt", 7: "clflush", 8: "sfence",
               9: "mfence", 10: "locked", 11: "msync", 12: "fsync",
               13: "shutdown", 14: "flush-outside", 15: "set-clean"}


def record(a, exe, version, out):
    """(cpu, wall) of one `pmemu record` of exe into out"""
    pool = out.parent / "pool"
    env = bl.clean_env(PMEMU_TRACE_VERSION=str(version))
    cmd = [a.pmemu, "record", "-o", str(out), "--pmem-dir", str(pool), "--",
           str(exe)]
    cpu, wall, res = bl.run_tree(cmd, pool, env, [str(a.mib),
                                                  str(a.passes)])
    bl.must_succeed(cmd, res)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", default=bl.pmemu_default())
    ap.add_argument("--mib", type=int, default=16)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    lines = a.mib * (1 << 20) // 64 * a.passes
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="trace-bench-", dir=a.dir))
    print(f"# {a.pmemu}: bench_store {a.mib} MiB x {a.passes} pass(es), "
          f"{lines} lines; traces in {tmp}")
    print(f"# load average before: {bl.load()}; median of {a.repeat} "
          "interleaved runs; CPU = user + sys of the process tree")
    print(f"{'program':12} {'v':>2} {'bytes':>11} {'events':>9} "
          f"{'B/event':>8} {'ev B/ev':>8} {'B/line':>7} {'cpu s':>7} "
          f"{'wall s':>7}  "
          "events by kind: count x bytes each (the other records' bytes)")
    for name, flags, plugin in PROGRAMS:
        exe = bl.build("bench_store.c", tmp, flags,
                       plugin_of(a.pmemu) if plugin else None, "-" + name)
        times = {1: [], 2: []}
        for _ in range(a.repeat):
            for v in (1, 2):
                times[v].append(record(a, exe, v, tmp / f"{name}.v{v}"))
        for v in (1, 2):
            trace = tmp / f"{name}.v{v}"
            size = os.path.getsize(trace)
            kinds = walk(trace)
            ev = {k: c for k, c in kinds.items() if k in EVENT_NAMES}
            n = sum(c for c, _ in ev.values())
            cpu = bl.median([c for c, _ in times[v]])
            wall = bl.median([w for _, w in times[v]])
            meta = sum(b for k, (_, b) in kinds.items() if k not in ev)
            mix = " ".join(f"{EVENT_NAMES[k]}={c}x{b / c:.1f}" for k, (c, b)
                           in sorted(ev.items(), key=lambda x: -x[1][1]))
            mix += f" (meta {meta})"
            evb = sum(b for _, b in ev.values())
            print(f"{name:12} {v:>2} {size:>11} {n:>9} {size / n:>8.1f} "
                  f"{evb / n:>8.1f} {size / lines:>7.1f} {cpu:>7.2f} "
                  f"{wall:>7.2f}  {mix}", flush=True)
            trace.unlink()
    print(f"# load average after: {bl.load()}")
    subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    main()
