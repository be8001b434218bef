#!/usr/bin/python3
"""startup_bench.py -- what `pmemu run` costs a program that does nothing:
a C hello world and `puts(pmemobj_errormsg())` (libpmemobj and what it
loads: libndctl, libcrypto, libzstd...), natively, under `pmemu run` with
no scan cache (PMEMU_CACHE_DIR=, every loaded module decoded) and with a
warm one. CPU (user + sys of the process tree) and wall, the median of
--repeat interleaved runs, the load printed (benchlib.py).

usage: startup_bench.py [--pmemu P] [--repeat 11]
"""
import argparse
import pathlib
import subprocess
import tempfile

import benchlib as bl

PROGRAMS = {
    "hello": '#include <stdio.h>\nint main(void){puts("hi");return 0;}\n',
    "pmemobj": "#include <libpmemobj.h>\n#include <stdio.h>\n"
               "int main(void){puts(pmemobj_errormsg());return 0;}\n",
}
MODES = ["native", "no cache", "warm cache"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", default=bl.pmemu_default())
    ap.add_argument("--repeat", type=int, default=11)
    a = ap.parse_args()
    print(f"# load average before: {bl.load()}; median of {a.repeat} "
          "interleaved runs; CPU = user + sys of the process tree, ms")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        tmp = pathlib.Path(tmp)
        cache = tmp / "cache"
        for name, code in PROGRAMS.items():
            src = tmp / f"{name}.c"
            src.write_text(code)
            exe = tmp / name
            subprocess.run(["gcc", "-O2", "-o", str(exe), str(src),
                            "-lpmemobj"], check=True)
            run = [a.pmemu, "run", "--quiet", "--pmem-dir", str(tmp / "pm"),
                   "--", str(exe)]
            modes = {"native": ([str(exe)], bl.clean_env()),
                     "no cache": (run, bl.clean_env(PMEMU_CACHE_DIR="")),
                     "warm cache": (run, bl.clean_env(
                         PMEMU_CACHE_DIR=str(cache)))}
            bl.run_tree(modes["warm cache"][0], tmp / "pm",
                        modes["warm cache"][1])  # fills the cache
            times = {m: [] for m in MODES}
            for _ in range(a.repeat):
                for m in MODES:
                    cmd, env = modes[m]
                    cpu, wall, res = bl.run_tree(cmd, tmp / "pm", env)
                    bl.must_succeed(cmd, res)
                    times[m].append((cpu, wall))
            cols = " | ".join(
                f"{m} {1000 * bl.median(t[0] for t in times[m]):.1f} "
                f"(wall {1000 * bl.median(t[1] for t in times[m]):.1f})"
                for m in MODES)
            print(f"{name:8} {cols}")
    print(f"# load average after: {bl.load()}")


if __name__ == "__main__":
    main()
