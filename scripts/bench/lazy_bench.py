#!/usr/bin/env python3
"""lazy_bench.py -- `pmemu explore` of the crash-tests' libpmemobj
programs with their real checks, side by side: each program is recorded
once (its correct twin, or BUG), then explored by each --pmemu build (and
--explore mode) in turn, interleaved, --repeat times. Reported per
program and build: the crash points, runs (checks), the most runs at one
point, the verdict (stopped: --time-limit reached), and the median CPU
(user + sys of the process tree) and wall, with the load average.

usage: lazy_bench.py [--pmemu P ...] [--explore lazy,eager]
                     [--programs obj_kvmap,obj_list,obj_persist]
                     [--strategy S] [--bug BUG] [--repeat 3]
                     [--time-limit SECONDS] [--bin DIR]

--bin: where the crash-test programs are (build/crash-tests/bin); a
program built otherwise (obj_kvmap with -DINSERTS=100) is named by path.
"""
import argparse
import json
import pathlib
import re
import tempfile

import benchlib as bl


def explore_argv(pmemu, mode, trace, media, check, a, js):
    argv = [pmemu, "explore", "--explore", mode, "--trace", str(trace),
            "--pmem-dir", str(media), "--from", "pool-created",
            "--strategy", a.strategy, "--jobs", "2", "--no-explain",
            "--no-progress", "--json", str(js), "--check", check]
    if a.time_limit:
        argv += ["--time-limit", str(a.time_limit)]
    return argv


def summary(js):
    rep = json.loads(js.read_text())
    most = [int(m.group(1)) for n in rep["notes"] for m in
            [re.search(r"most at one crash point: (\d+)", n)] if m]
    verdict = "stopped" if rep.get("stopped") else rep["verdict"]
    return (rep["counts"].get("points", 0), rep["counts"]["checks"],
            most[0] if most else None, verdict)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", action="append")
    ap.add_argument("--explore", default="lazy")
    ap.add_argument("--programs", default="obj_kvmap,obj_list,obj_persist")
    ap.add_argument("--strategy", default="pessimistic,inflight,eviction,torn")
    ap.add_argument("--bug")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--time-limit", type=int)
    ap.add_argument("--bin", default=str(bl.ROOT / "build" / "crash-tests" /
                                         "bin"))
    a = ap.parse_args()
    pmemus = a.pmemu or [bl.pmemu_default()]
    modes = a.explore.split(",")
    env = bl.clean_env()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="lazy-bench."))
    progs = {}
    for name in a.programs.split(","):
        exe = pathlib.Path(name if "/" in name else pathlib.Path(a.bin) /
                           name).resolve()
        d = tmp / exe.name
        (d / "pm").mkdir(parents=True)
        cmd = [pmemus[-1], "record", "-o", str(d / "trace"), "--pmem-dir",
               str(d / "pm"), "--", str(exe), "run", str(d / "pm" / "pool")]
        bl.must_succeed(cmd, bl.timed(cmd + ([a.bug] if a.bug else []),
                                      env)[2])
        progs[exe.name] = (exe, d)
    print(f"# load average before: {bl.load()}; median of {a.repeat} "
          f"interleaved runs; strategy {a.strategy}"
          + (f"; bug {a.bug}" if a.bug else ""))
    for i, p in enumerate(pmemus):
        print(f"# @{i}: {p}")
    cols = [(i, p, m) for i, p in enumerate(pmemus) for m in modes]
    got = {}
    for _ in range(a.repeat):
        for name, (exe, d) in progs.items():
            for i, p, m in cols:
                js = d / f"{i}.{m}.json"
                argv = explore_argv(p, m, d / "trace", d / "pm",
                                    f"{exe} check {{pmem}}", a, js)
                cpu, wall, res = bl.timed(argv, env)
                if res.returncode not in (0, 1, 3):
                    bl.must_succeed(argv, res)
                r = got.setdefault((name, i, m), [[], [], None])
                r[0].append(cpu)
                r[1].append(wall)
                r[2] = summary(js)
    for (name, i, m), (cpu, wall, s) in got.items():
        points, checks, most, verdict = s
        print(f"{name:14} {m}@{i}: {points} points, {checks} runs, most "
              f"{most}, {verdict}; CPU {bl.median(cpu):.1f} s, wall "
              f"{bl.median(wall):.1f} s")
    print(f"# load average after: {bl.load()}")


if __name__ == "__main__":
    main()
