#!/usr/bin/python3
"""tramp_bench.py -- raw instructions and client requests: native, and
`pmemu run` with every patch site trapping (PMEMU_PATCH=int3) or jumping to
a trampoline (PMEMU_PATCH=jump, the default), side by side.

Programs (issue 10): `raw`, tramp_bench_raw.c built with -mclwb and no
plugin (64 MiB mapped with pmem_map_file, every word stored, clwb per line,
sfence per 8 lines, 4 passes); `obj`, shim_bench_obj.c (20,000 libpmemobj
transactions). Each run gets a fresh pool on /dev/shm; native runs set
PMEM_IS_PMEM_FORCE=1 so libpmem flushes as on pmem.

Reported: CPU time (user + sys of the whole process tree, from the
children's rusage) and wall, the median of N runs interleaved (native,
int3, jump, native, ...) so load moves every column alike; the load
average before and after.

usage: tramp_bench.py [--pmemu build/bin/pmemu] [--repeat 5]
                      [--benches raw,obj]
"""
import argparse
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
BENCHES = [  # name, source, flags, goal for jump (CPU ratio to native)
    ("raw", "tramp_bench_raw.c", ["-mclwb", "-lpmem"], 10.0),
    ("obj", "shim_bench_obj.c", ["-lpmemobj"], 3.0),
]
MODES = ["native", "int3", "jump"]


def build(src, flags, out):
    exe = out / pathlib.Path(src).stem
    subprocess.run(["gcc", "-O2", "-g", "-o", str(exe), str(HERE / src),
                    *flags], check=True)
    return exe


def one_run(cmd, pool_dir, env):
    """(cpu, wall) seconds of cmd and every process it waited for."""
    shutil.rmtree(pool_dir, ignore_errors=True)
    pool_dir.mkdir()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd + [str(pool_dir / "pool")], env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {res.returncode}\n{res.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + \
        (after.ru_stime - before.ru_stime)
    return cpu, wall


def command(mode, pmemu, exe, pool):
    if mode == "native":
        return [str(exe)]
    return [pmemu, "run", "--quiet", "--pmem-dir", str(pool), "--", str(exe)]


def environment(mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMEMU_")}
    if mode == "native":
        env["PMEM_IS_PMEM_FORCE"] = "1"
    else:
        env["PMEMU_PATCH"] = mode
    return env


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu",
                    default=str(HERE.parents[1] / "build" / "bin" / "pmemu"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--benches", default=",".join(b[0] for b in BENCHES))
    a = ap.parse_args()
    wanted = a.benches.split(",")
    print(f"# load average before: {load()}; {os.cpu_count()} CPUs; "
          f"median of {a.repeat} interleaved runs; CPU = user + sys")
    head = "".join(f" {m + ' cpu':>10} {'wall':>7} {'x':>6}" for m in MODES)
    print(f"{'bench':6}{head} {'goal':>5}")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        tmp = pathlib.Path(tmp)
        pool = tmp / "pmem"
        for name, src, flags, goal in BENCHES:
            if name not in wanted:
                continue
            exe = build(src, flags, tmp)
            runs = {m: [] for m in MODES}
            for _ in range(a.repeat):
                for m in MODES:
                    runs[m].append(one_run(command(m, a.pmemu, exe, pool),
                                           pool, environment(m)))
            cpu = {m: statistics.median(r[0] for r in runs[m])
                   for m in MODES}
            wall = {m: statistics.median(r[1] for r in runs[m])
                    for m in MODES}
            cols = "".join(f" {cpu[m]:10.2f} {wall[m]:7.2f} "
                           f"{cpu[m] / cpu['native']:6.1f}" for m in MODES)
            missed = "" if cpu["jump"] / cpu["native"] <= goal else \
                "  MISSED"
            print(f"{name:6}{cols} {goal:5.1f}{missed}")
            sys.stdout.flush()
    print(f"# load average after: {load()}")


if __name__ == "__main__":
    main()
