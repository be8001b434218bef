#!/usr/bin/python3
"""shim_bench.py -- pmemu run against native, side by side in one run.

Builds the three shim_bench_*.c programs, runs each natively and under
`pmemu run` (best of N, a fresh pool each time, pool on /dev/shm for both)
and prints the ratios against the goals of docs/performance.md "## Shim".

usage: shim_bench.py [--pmemu build/bin/pmemu] [--repeat 3]
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
    ap.add_argument("--pmemu", default=str(HERE.parents[1] / "build" / "bin"
                                           / "pmemu"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMEMU_")}
    env["PMEM_IS_PMEM_FORCE"] = "1"  # native libpmem flushes like on pmem
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        tmp = pathlib.Path(tmp)
        pool = tmp / "pmem"
        print(f"{'bench':6} {'native s':>9} {'pmemu s':>9} {'ratio':>6} "
              f"{'goal':>5}  what")
        for name, libs, goal, what in BENCHES:
            exe = build(name, libs, tmp)
            native = min(one_run([str(exe)], pool, env)
                         for _ in range(a.repeat))
            emu = min(one_run([a.pmemu, "run", "--quiet", "--pmem-dir",
                               str(pool), "--", str(exe)], pool, env)
                      for _ in range(a.repeat))
            ratio = emu / native
            print(f"{name:6} {native:9.3f} {emu:9.3f} {ratio:6.2f} "
                  f"{goal:5.1f}  {what}{'' if ratio <= goal else '  MISSED'}")


if __name__ == "__main__":
    main()
