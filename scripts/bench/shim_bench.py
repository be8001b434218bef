#!/usr/bin/python3
"""shim_bench.py -- pmemu run against native, side by side in one run.

Builds the three shim_bench_*.c programs, runs each natively and under
`pmemu run` (best of N, a fresh pool each time, pool on /dev/shm for both)
and prints the ratios against the goals of docs/performance.md "## Shim".

usage: shim_bench.py [--pmemu build/bin/pmemu ...] [--repeat 3]
                     [--benches store,dram,obj]

With several --pmemu (a build before and after a change, say), every
program runs under each of them in turn, interleaved with the native
runs, so a noisy machine moves all columns alike.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
BENCHES = [  # name, libraries, goal (ratio to native)
    ("store", ["-lpmem"], 2.0, "16 MiB, store every word, persist every line"),
    ("dram", ["-lpmem"], 1.1, "DRAM-heavy, little pmem"),
    ("obj", ["-lpmemobj"], 3.0, "20,000 libpmemobj transactions"),
]


def build(name, libs, out):
    exe = out / f"shim_bench_{name}"
    subprocess.run(["gcc", "-O2", "-g", "-o", str(exe),
                    str(HERE / f"shim_bench_{name}.c"), *libs], check=True)
    return exe


def one_run(cmd, pool_dir, env):
    shutil.rmtree(pool_dir, ignore_errors=True)
    pool_dir.mkdir()
    t0 = time.perf_counter()
    res = subprocess.run(cmd + [str(pool_dir / "pool")], env=env,
                         capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {res.returncode}\n{res.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", action="append",
                    help="pmemu binary (repeat to compare builds)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--benches", default=",".join(b[0] for b in BENCHES))
    a = ap.parse_args()
    pmemus = a.pmemu or [str(HERE.parents[1] / "build" / "bin" / "pmemu")]
    wanted = a.benches.split(",")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMEMU_")}
    env["PMEM_IS_PMEM_FORCE"] = "1"  # native libpmem flushes like on pmem
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        tmp = pathlib.Path(tmp)
        pool = tmp / "pmem"
        cols = "".join(f" {'pmemu' + str(i) + ' s':>9} {'ratio':>6}"
                       for i in range(len(pmemus)))
        print(f"{'bench':6} {'native s':>9}{cols} {'goal':>5}  what")
        for i, p in enumerate(pmemus):
            print(f"# pmemu{i} = {p}")
        for name, libs, goal, what in BENCHES:
            if name not in wanted:
                continue
            exe = build(name, libs, tmp)
            native = []
            emu = [[] for _ in pmemus]
            for _ in range(a.repeat):  # interleaved: noise hits all alike
                native.append(one_run([str(exe)], pool, env))
                for i, p in enumerate(pmemus):
                    emu[i].append(one_run([p, "run", "--quiet",
                                           "--pmem-dir", str(pool), "--",
                                           str(exe)], pool, env))
            nat = min(native)
            ratios = [min(e) / nat for e in emu]
            cols = "".join(f" {min(e):9.3f} {r:6.2f}"
                           for e, r in zip(emu, ratios))
            missed = "" if ratios[-1] <= goal else "  MISSED"
            print(f"{name:6} {nat:9.3f}{cols} {goal:5.1f}  {what}{missed}")
            sys.stdout.flush()

if __name__ == "__main__":
    main()
