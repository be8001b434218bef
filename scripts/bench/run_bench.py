#!/usr/bin/python3
"""run_bench.py -- `pmemu run` side by side with native, the GCC plugin
build and (when installed) Valgrind's pmemcheck, on the four programs of
docs/performance.md "Side by side":

  libpmem  bench_store.c: 16 MiB, every word stored, pmem_persist per
           line, 12 passes
  raw      bench_store.c -DBENCH_RAW -mclwb: 64 MiB, every word, clwb per
           line, sfence per 8 lines, 16 passes
  obj      bench_obj.c: 200,000 libpmemobj transactions, 2 x
           pmemobj_tx_add_range of 8 bytes each
  dram     bench_dram.c: 64 MiB malloc'd, 192 multiply-add passes, a 1 MiB
           slice persisted after each
(the programs' defaults; --args gives others)

Modes: native (PMEM_IS_PMEM_FORCE=1, so libpmem flushes as on pmem), run
(`pmemu run`, the program built without the plugin), plugin (`pmemu run`,
built with -fplugin=pmemu-gcc.so), pmemcheck (`valgrind --tool=pmemcheck`,
if that works; pmem/valgrind is not a dependency); on request (--modes),
int3 (`pmemu run` with PMEMU_PATCH=int3: every raw instruction and client
request site traps instead of jumping to a trampoline) and plugin-nolog
(the plugin build with PMEMU_STORE_LOG=0: each traced store takes the
shim's lock, as before the store log). Reported: CPU (user +
sys of the process tree) and wall, the median of --repeat runs
interleaved (native, run, plugin, pmemcheck, native, ...) so load moves
every column alike; x = CPU against native; the load average before and
after.

--check (CI): each program, small, once with its planted bug and once
without, under run (trampolines), run with PMEMU_PATCH=int3 and the plugin
build: the findings (class and source line) must be the same in every
mode, one or more with the bug, none without. Never timed.

With several --pmemu (builds before and after a change), every mode but
native and pmemcheck runs once per build, in turn, its column labelled
with the build's number (run@0, run@1, ...); x is against native still.
The plugin modes run the program built with that build's own plugin
(lib/pmemu-gcc.so beside bin/pmemu; without one, or with --plugin, the
one plugin for all): plugin and runtime change together.

--args NAME=A,B,... gives a program other arguments than its defaults
(after the pool file, as the program reads them: bench_obj TX, bench_store
MIB PASSES); the row then says them, e.g. `obj 200000`.

usage: run_bench.py [--pmemu P ...] [--plugin SO] [--valgrind V] [--repeat 5]
                    [--benches libpmem,raw,obj,dram] [--args obj=200000 ...]
                    [--modes native,run,plugin,pmemcheck,int3,plugin-nolog] [--check]
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

import benchlib as bl

MODES = ["native", "run", "int3", "plugin", "plugin-nolog",
         "pmemcheck"]
BENCHES = [  # name, source, gcc flags, small args for --check, goals
    ("libpmem", "bench_store.c", [], ["1", "1"],
     {"run": 2.0, "plugin": 2.0}),
    ("raw", "bench_store.c", ["-DBENCH_RAW", "-mclwb"], ["1", "1"],
     {"run": 10.0, "int3": 10.0, "plugin": 2.5}),
    ("obj", "bench_obj.c", [], ["200"], {"run": 3.0, "int3": 3.0}),
    ("dram", "bench_dram.c", [], ["2", "2"], {"run": 1.05}),
]


def plugin_of(a, pmemu):
    """the plugin to build pmemu's plugin-mode programs with"""
    if a.plugin:
        return a.plugin
    own = pathlib.Path(pmemu).resolve().parent.parent / "lib" / "pmemu-gcc.so"
    return str(own if own.exists() else
               bl.ROOT / "build" / "lib" / "pmemu-gcc.so")


def plugin_builds(a, src, out, flags):
    """pmemu -> the program built with its plugin (once per plugin)"""
    built, by_pmemu = {}, {}
    for pmemu in a.pmemus:
        so = plugin_of(a, pmemu)
        if so not in built:
            built[so] = bl.build(src, out, flags, so, f"-plugin{len(built)}")
        by_pmemu[pmemu] = built[so]
    return by_pmemu


def pmemcheck_works(valgrind):
    try:
        r = subprocess.run([valgrind, "--tool=pmemcheck", "-q", "true"],
                           capture_output=True)
    except OSError:
        return False
    return r.returncode == 0


def commands(a, exes, pool):
    """column -> (command without the pool argument, environment): a mode,
    or mode@build with several --pmemu"""
    out = {}
    for i, pmemu in enumerate(a.pmemus):
        tag = f"@{i}" if len(a.pmemus) > 1 else ""
        own = dict(exes, plugin=exes["plugin"][pmemu])
        for m, c in build_commands(a, pmemu, own, pool).items():
            out[m if m in ("native", "pmemcheck") else m + tag] = c
    return out


def build_commands(a, pmemu, exes, pool):
    """mode -> (command without the pool argument, environment)"""
    run = [pmemu, "run", "--quiet", "--pmem-dir", str(pool), "--"]
    native = bl.clean_env(PMEM_IS_PMEM_FORCE="1")
    every = {
        "native": ([str(exes["plain"])], native),
        "run": (run + [str(exes["plain"])], bl.clean_env()),
        "int3": (run + [str(exes["plain"])], bl.clean_env(PMEMU_PATCH="int3")),
        "plugin": (run + [str(exes["plugin"])], bl.clean_env()),
        "plugin-nolog": (run + [str(exes["plugin"])],
                         bl.clean_env(PMEMU_STORE_LOG="0")),
        "pmemcheck": ([a.valgrind, "--tool=pmemcheck", "-q",
                       str(exes["plain"])], native),
    }
    return {m: every[m] for m in a.modes}


FINDING = re.compile(r"^pmemu: ([a-z][a-z -]*?): ")
FRAME = re.compile(r"^\s+(?:at|by) \S+ \((\S+):(\d+)\)")
GUESS = "(site guessed:"


def findings(stderr):
    """{(class, line in the bench source, a guess?)} of a run's report:
    each finding's first frame in a bench_*.c file"""
    out, cls, where = set(), None, None
    for ln in stderr.splitlines() + ["pmemu: end: "]:
        m = FINDING.match(ln)
        if m or ln.startswith("["):
            if where is not None:
                out.add(where)
            where = None
            if m:
                cls = None if m.group(1) == "note" else m.group(1)
            continue
        m = FRAME.match(ln)
        if m and cls and where is None and m.group(1).startswith("bench_"):
            where = (cls, int(m.group(2)), False)
        elif GUESS in ln and where is not None:
            where = (where[0], where[1], True)
    return out


def bug_line(src):
    lines = (bl.HERE / src).read_text().splitlines()
    return [i for i, ln in enumerate(lines, 1) if "/* BUG:" in ln][0]


def agree(plain, plugin, line):
    """plain == plugin on classes; on lines where plain is not a guess;
    the plugin build names the planted line"""
    if {f[0] for f in plain} != {f[0] for f in plugin}:
        return False
    if any(f[1] != line for f in plugin):
        return False
    return all(f[2] or (f[0], f[1], False) in plugin for f in plain)


def check(a, name, src, exes, small, tmp):
    """the findings of every mode agree, with and without the bug"""
    run = [a.pmemu, "run", "--pmem-dir", str(tmp / "pm"), "--"]
    modes = {"run": (exes["plain"], {}),
             "int3": (exes["plain"], {"PMEMU_PATCH": "int3"}),
             "plugin": (exes["plugin"][a.pmemu], {})}
    bad = []
    for bug in (False, True):
        args = small + (["bug"] if bug else [])
        got = {}
        for mode, (exe, env) in modes.items():
            cmd = run + [str(exe)]
            _, _, res = bl.run_tree(cmd, tmp / "pm", bl.clean_env(**env),
                                    args)
            bl.must_succeed(cmd, res)
            got[mode] = findings(res.stderr)
        ok = bool(got["plugin"]) == bug and got["run"] == got["int3"] and \
            agree(got["run"], got["plugin"], bug_line(src))
        if not ok:
            bad.append(f"{name}{' bug' if bug else ''}: {got}")
    return bad


def measure(a, name, exes, goals, pool):
    modes = commands(a, exes, pool)
    runs = {m: [] for m in modes}
    args = a.args.get(name, [])
    for _ in range(a.repeat):
        for m, (cmd, env) in modes.items():
            cpu, wall, res = bl.run_tree(cmd, pool, env, args)
            bl.must_succeed(cmd, res)
            runs[m].append((cpu, wall))
    cpu = {m: bl.median(r[0] for r in runs[m]) for m in modes}
    wall = {m: bl.median(r[1] for r in runs[m]) for m in modes}
    cols = []
    for m in modes:
        x = cpu[m] / cpu["native"]
        goal = goals.get(m.split("@")[0])
        mark = "" if goal is None else (" ok" if x <= goal else " MISSED")
        cols.append(f"{m} {cpu[m]:.2f}s (wall {wall[m]:.2f}) {x:.1f}x{mark}")
    print(f"{' '.join([name] + args):8} " + " | ".join(cols))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", action="append",
                    help="pmemu binary (repeat to compare builds)")
    ap.add_argument("--plugin", help="the plugin for every build (default: "
                    "each build's own lib/pmemu-gcc.so)")
    ap.add_argument("--valgrind", default="valgrind")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--benches", default=",".join(b[0] for b in BENCHES))
    ap.add_argument("--modes", default="native,run,plugin,pmemcheck")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--args", action="append", default=[],
                    metavar="NAME=A,B", help="a program's arguments")
    a = ap.parse_args()
    try:
        a.args = {k: v.split(",") for k, v in
                  (x.split("=", 1) for x in a.args)}
    except ValueError:
        ap.error("--args: NAME=A,B,...")
    a.pmemus = a.pmemu or [bl.pmemu_default()]
    a.pmemu = a.pmemus[-1]
    a.modes = ["native"] + [m for m in a.modes.split(",") if m != "native"]
    if set(a.modes) - set(MODES):
        ap.error(f"--modes: one of {', '.join(MODES)}")
    wanted = a.benches.split(",")
    unknown = (set(wanted) | set(a.args)) - {b[0] for b in BENCHES}
    if unknown:
        ap.error(f"unknown bench {', '.join(sorted(unknown))}")
    if "pmemcheck" in a.modes and (a.check or
                                   not pmemcheck_works(a.valgrind)):
        a.modes.remove("pmemcheck")
    if not a.check:
        for i, p in enumerate(a.pmemus if len(a.pmemus) > 1 else []):
            print(f"# @{i}: {p}")
        print(f"# load average before: {bl.load()}; median of {a.repeat} "
              f"interleaved runs; CPU = user + sys of the process tree; "
              f"modes: {', '.join(a.modes)}")
    bad = []
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        tmp = pathlib.Path(tmp)
        for name, src, flags, small, goals in BENCHES:
            if name not in wanted:
                continue
            exes = {"plain": bl.build(src, tmp / name, flags),
                    "plugin": plugin_builds(a, src, tmp / name, flags)}
            if a.check:
                bad += check(a, name, src, exes, small, tmp)
            else:
                measure(a, name, exes, goals, tmp / "pm")
    if a.check:
        for b in bad:
            print(f"run_bench: findings differ or are missing: {b}",
                  file=sys.stderr)
        return 1 if bad else 0
    print(f"# load average after: {bl.load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
