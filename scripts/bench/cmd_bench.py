#!/usr/bin/python3
"""cmd_bench.py -- commands side by side: each run --repeat times,
interleaved (A, B, C, A, B, C, ...) so load moves every column alike;
CPU (user + sys of the command's whole process tree) and wall, the
median of each, the load average before and after (benchlib.py). For
what run_bench.py and startup_bench.py do not cover: a program of one's
own, a build before and after a change.

usage: cmd_bench.py [--repeat 5] [--fresh PATH ...] CMD [:: CMD ...]

--fresh PATH: removed (a file, or a directory's contents) before every
run, so each run starts from the same state (a pool to create anew).
Commands are separated by `::`; a command may hold its own `--`.
"""
import argparse
import pathlib
import shutil
import sys

import benchlib as bl


def fresh(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            for child in p.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        elif p.exists():
            p.unlink()


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("usage: ")[1]
                                 .split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--fresh", action="append", default=[])
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmds = [[]]
    for word in a.cmd:
        if word == "::":
            cmds.append([])
        else:
            cmds[-1].append(word)
    if a.repeat < 1 or any(not c for c in cmds):
        sys.exit("cmd_bench.py: error: give --repeat >= 1 and commands "
                 "separated by ::")
    print(f"# load average before: {bl.load()}; median of {a.repeat} "
          "interleaved runs; CPU = user + sys of the process tree")
    seen = [[] for _ in cmds]
    for _ in range(a.repeat):
        for i, cmd in enumerate(cmds):
            fresh(a.fresh)
            cpu, wall, res = bl.timed(cmd, bl.clean_env())
            bl.must_succeed(cmd, res)
            seen[i].append((cpu, wall))
    for cmd, runs in zip(cmds, seen):
        cpu = bl.median([c for c, _ in runs]) * 1000
        wall = bl.median([w for _, w in runs]) * 1000
        print(f"{cpu:9.1f} ms (wall {wall:.1f})  {' '.join(cmd)}")
    print(f"# load average after: {bl.load()}")


if __name__ == "__main__":
    main()
