#!/usr/bin/python3
"""startup_bench.py -- what `pmemu run` costs a program that does nothing:
a C hello world and `puts(pmemobj_errormsg())` (libpmemobj and what it
loads: libndctl, libcrypto, libzstd...), natively, under `pmemu run` with
no scan cache (PMEMU_CACHE_DIR=, every loaded module decoded) and with a
warm one. CPU (user + sys of the process tree) and wall, the median of
--repeat interleaved runs, the load printed (benchlib.py).

usage: startup_bench.py [--pmemu P ...] [--repeat 11]

--pmemu given more than once compares builds (before and after a change):
the pmemu modes run once per build, in turn, in columns `no cache@0`,
`warm cache@0`, `no cache@1`, ... (`# @0: PATH` names them), each build
with a warm cache of its own.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", action="append")
    ap.add_argument("--repeat", type=int, default=11)
    a = ap.parse_args()
    builds = a.pmemu or [bl.pmemu_default()]
    if len(builds) > 1:
        for i, b in enumerate(builds):
            print(f"# @{i}: {b}")
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
            modes = {"native": ([str(exe)], bl.clean_env())}
            for i, b in enumerate(builds):
                at = f"@{i}" if len(builds) > 1 else ""
                run = [b, "run", "--quiet", "--pmem-dir", str(tmp / "pm"),
                       "--", str(exe)]
                (cache / str(i)).mkdir(parents=True, exist_ok=True)
                warm = bl.clean_env(PMEMU_CACHE_DIR=str(cache / str(i)))
                modes["no cache" + at] = (run, bl.clean_env(
                    PMEMU_CACHE_DIR=""))
                modes["warm cache" + at] = (run, warm)
                bl.run_tree(run, tmp / "pm", warm)  # fills the cache
            times = {m: [] for m in modes}
            for _ in range(a.repeat):
                for m in modes:
                    cmd, env = modes[m]
                    cpu, wall, res = bl.run_tree(cmd, tmp / "pm", env)
                    bl.must_succeed(cmd, res)
                    times[m].append((cpu, wall))
            cols = " | ".join(
                f"{m} {1000 * bl.median(t[0] for t in times[m]):.1f} "
                f"(wall {1000 * bl.median(t[1] for t in times[m]):.1f})"
                for m in modes)
            print(f"{name:8} {cols}")
    print(f"# load average after: {bl.load()}")


if __name__ == "__main__":
    main()
