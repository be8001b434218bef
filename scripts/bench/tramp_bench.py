#!/usr/bin/python3
"""tramp_bench.py -- what one call of a trampoline costs (issue 10): the
entry (registers, xsavec64/xrstor64, flags) and the C side of a patched
sfence. bench_fence.c runs --calls sfences, and 1, under `pmemu run` of
each --pmemu, interleaved; ns a call = (CPU(calls) - CPU(1)) / (calls - 1),
CPU = user + sys of the process tree, median of --repeat; the load
average before and after; the wall of each, median, on a line of its
own. docs/performance.md quotes it.

usage: tramp_bench.py [--pmemu P ...] [--calls 10000000] [--repeat 5]
"""
import argparse
import pathlib
import sys
import tempfile

import benchlib as bl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", action="append",
                    help="pmemu binary (repeat to compare builds)")
    ap.add_argument("--calls", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    if a.calls < 2 or a.repeat < 1:
        ap.error("--calls: 2 or more; --repeat: 1 or more")
    pmemus = a.pmemu or [bl.pmemu_default()]
    print(f"# load average before: {bl.load()}; median of {a.repeat} "
          f"interleaved runs; CPU = user + sys of the process tree")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        tmp = pathlib.Path(tmp)
        exe = bl.build("bench_fence.c", tmp / "fence")
        cpu = {(i, n): [] for i in range(len(pmemus))
               for n in (1, a.calls)}
        wall = {k: [] for k in cpu}
        for _ in range(a.repeat):
            for i, pmemu in enumerate(pmemus):
                for n in (1, a.calls):
                    cmd = [pmemu, "run", "--quiet", "--pmem-dir",
                           str(tmp / "pm"), "--", str(exe)]
                    c, w, res = bl.run_tree(cmd, tmp / "pm", bl.clean_env(),
                                            [str(n)])
                    bl.must_succeed(cmd, res)
                    cpu[(i, n)].append(c)
                    wall[(i, n)].append(w)
        for i, pmemu in enumerate(pmemus):
            lo = bl.median(cpu[(i, 1)])
            hi = bl.median(cpu[(i, a.calls)])
            ns = (hi - lo) / (a.calls - 1) * 1e9
            print(f"@{i} {pmemu}: {a.calls} sfences {hi:.2f}s, 1 sfence "
                  f"{lo:.2f}s: {ns:.0f} ns a call")
            print(f"#  wall: {a.calls} sfences "
                  f"{bl.median(wall[(i, a.calls)]):.2f}s, 1 sfence "
                  f"{bl.median(wall[(i, 1)]):.2f}s")
    print(f"# load average after: {bl.load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
