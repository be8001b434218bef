#!/usr/bin/env python3
"""explore_bench.py -- states checked per second by `pmemu explore`.

An 8 MiB pool; each round stores to K fresh lines, flushes them and fences,
so the crash point before the fence has K write-backs in flight and, with
--strategy inflight, 2^K states that each differ from the last in about K
lines. Four checks: an exec'd trivial command (`true {pmem}`, a shell
built-in: it runs by /bin/sh -c), an exec'd program that opens the image
and reads 64 bytes (exec-prog: it runs from the fork server, docs/
explore.md), a --check-so function doing the same in a forked child, and
the same --in-process. Prints one table row per (check,
K); the time includes replaying the trace.

usage: explore_bench.py [--pmemu PATH ...] [--jobs N] [--lines 1,4,8]
                        [--states N] [--kinds exec,exec-prog,fork,inproc]
                        [--explore eager,lazy] [--repeat 3]

Each row is the median of --repeat runs: wall seconds, CPU seconds (user
+ sys of the process tree) and states/s by wall; the load average is
printed before and after. With several --pmemu (builds before and after a
change), each row runs under every one of them in turn, interleaved, and
gets its columns per build. With --explore auto,eager,lazy (any comma
list of modes; default eager) each build runs in each mode (docs/
explore.md, "Eager or lazy", "Lazy exploration"), interleaved, a column
each: the lazy mode checks the states of the lines the check reads (one
here), so compare seconds, not states/s; auto is pmemu's default.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))
from explore_trace import Trace  # noqa: E402

import benchlib as bl  # noqa: E402

POOL = 8 << 20
CHECK_C = r"""
#include <fcntl.h>
#include <unistd.h>
int check(const char *image)
{
	char buf[64];
	int fd = open(image, O_RDONLY);
	if (fd < 0)
		return 1;
	int ok = pread(fd, buf, sizeof(buf), 0) == sizeof(buf);
	close(fd);
	return ok ? 0 : 1;
}
"""
MAIN_C = r"""
int check(const char *image);
int main(int argc, char **argv)
{
	return argc > 1 ? check(argv[1]) : 2;
}
"""


def make_trace(tmp, lines, states):
    media = os.path.join(tmp, "pool-%d.img" % lines)
    with open(media, "wb") as f:
        f.truncate(POOL)
    rounds = max(1, states // (1 << lines))
    t = Trace()
    t.region(media, POOL)
    off = 0
    for r in range(rounds):
        for i in range(lines):
            t.store(off, (r + 1).to_bytes(8, "little"), site=1)
            t.clwb(off, site=2)
            off = (off + 64 * 97) % POOL   # spread over the pool
        t.sfence(site=3)
    t.end()
    return t.write(os.path.join(tmp, "bench-%d.trace" % lines))


def run(pmemu, mode, trace, kind, so, jobs):
    """one explore: (states, checks, wall s, CPU s)"""
    args = [pmemu, "explore", "--explore", mode, "--trace", trace,
            "--strategy", "inflight",
            "--no-progress", "--no-explain", "--crash-points", "all", "--jobs", str(jobs),
            "--json", trace + ".json"]
    if kind == "exec":
        args += ["--check", "true {pmem}"]
    elif kind == "exec-prog":
        args += ["--check", so[:-3] + " {pmem}"]
    else:
        args += ["--check-so", so + ":check"]
        if kind == "inproc":
            args.append("--in-process")
    cpu, dt, r = bl.timed(args, None)  # the orphans' CPU counted too
    if r.returncode != 0:
        sys.exit("explore failed: %s%s" % (r.stdout, r.stderr))
    counts = json.load(open(trace + ".json"))["counts"]
    return counts["states"], counts["checks"], dt, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pmemu", action="append",
                    help="pmemu binary (repeat to compare builds)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--lines", default="1,4,8")
    ap.add_argument("--states", type=int, default=0,
                    help="states per run (default: by check kind)")
    ap.add_argument("--kinds", default="exec,fork,inproc")
    ap.add_argument("--explore", default="eager",
                    help="a comma list of auto, eager, lazy (a column each)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    print("# load average before: %s; median of %d interleaved runs" %
          (" / ".join("%.2f" % x for x in os.getloadavg()), a.repeat))
    pmemus = a.pmemu or [os.environ.get("PMEMU", "pmemu")]
    default_states = {"exec": 6000, "exec-prog": 6000, "fork": 40000,
                      "inproc": 200000}
    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "check.so")
        src = os.path.join(tmp, "check.c")
        open(src, "w").write(CHECK_C)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", so, src],
                       check=True)
        main_src = os.path.join(tmp, "main.c")
        open(main_src, "w").write(MAIN_C)
        subprocess.run(["cc", "-O2", "-o", so[:-3], main_src, src],
                       check=True)
        modes = a.explore.split(",")
        configs = [(p, m) for p in pmemus for m in modes]
        tag = [("@%d" % i if len(pmemus) > 1 else "") +
               (" " + m if len(modes) > 1 else "")
               for i in range(len(pmemus)) for m in modes]
        for i, p in enumerate(pmemus):
            if len(pmemus) > 1:
                print("# @%d: %s" % (i, p))
        cols = "".join(" states%s | checks%s | seconds%s | CPU s%s |"
                       " states/s%s |" % (t, t, t, t, t) for t in tag)
        print("| check | differing lines |" + cols)
        print("|---|---|" + "---|---|---|---|---|" * len(configs))
        for kind in a.kinds.split(","):
            for k in map(int, a.lines.split(",")):
                n = a.states or default_states[kind]
                trace = make_trace(tmp, k, n)
                runs = [[] for _ in configs]
                for _ in range(a.repeat):
                    for i, (p, m) in enumerate(configs):
                        runs[i].append(run(p, m, trace, kind, so, a.jobs))
                cells = ""
                for rs in runs:
                    states, checks = rs[0][0], rs[0][1]
                    dt = statistics.median(r[2] for r in rs)
                    cpu = statistics.median(r[3] for r in rs)
                    cells += " %d | %d | %.2f | %.2f | %.0f |" % (
                        states, checks, dt, cpu, states / dt)
                print("| %s | %d |%s" % (kind, k, cells))
                sys.stdout.flush()
    print("# load average after: %s" %
          " / ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
