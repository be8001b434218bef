#!/usr/bin/python3
"""plugin_bench.py -- cost of the pmemu GCC plugin, as ratios in one run.

Builds each benchmark with and without -fplugin=pmemu-gcc.so (gcc -O2) and
prints, the median of --repeat interleaved runs, the CPU time (user +
system of the program's whole process tree) and, in brackets, the wall
time, with the machine's load average before and after:
  store loop, no runtime     stores to a buffer; the slot is empty
  store loop, fake runtime   same, the buffer registered as pmem: every
                             store calls the hook (fake_rt.so, quiet)
  DRAM program, no runtime   a hash table on malloc'd memory
  mixed, no runtime          plugin_bench_mixed.c: undo-logged updates of a
                             libpmem pool found through a DRAM index
  mixed, under pmemu run     the same under BUILD_DIR/bin/pmemu, pool in
                             /dev/shm (plain = the shim alone)
  compile time               gcc -O2 -c of a generated 10k-line C file

usage: plugin_bench.py BUILD_DIR [--plugin [LABEL=]SO ...] [--repeat N]
                       [--benches store,dram,mixed,compile] [--instructions]
  (needs BUILD_DIR/lib/pmemu-gcc.so, BUILD_DIR/lib/libpmemu_gcc_fake_rt.so
  and, for mixed, BUILD_DIR/bin/pmemu)

--instructions counts the instructions each program runs instead (under
valgrind's cachegrind, once: the count does not vary), for the rows with
no runtime: the noise-free part of the cost.

With several --plugin (a build before and after a change, say), every
program is built with each and their runs are interleaved with the plain
one's, so a noisy machine moves all columns alike."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import benchlib as bl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))

STORE_LOOP = r"""
#include <stdio.h>
#include <stdlib.h>
#include "pmemu.h"
#define LEN (1 << 20)
__attribute__((noinline)) void fill(long *a, long n, long v)
{
	for (long i = 0; i < n; i++)
		a[i] = v + i;
}
int main(void)
{
	long *a = aligned_alloc(4096, LEN * sizeof(long));
	pmemu_register_pmem(a, LEN * sizeof(long), "bench");
	for (int r = 0; r < 200; r++)
		fill(a, LEN, r);
	printf("%ld\n", a[LEN / 2]);
	return 0;
}
"""

DRAM_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#define SLOTS (1 << 20)
struct entry { unsigned long key, value; struct entry *next; };
static struct entry *table[SLOTS];
static unsigned long hash(unsigned long k) { return (k * 0x9e3779b97f4a7c15ul) >> 44; }
static void put(unsigned long k, unsigned long v)
{
	struct entry **b = &table[hash(k) & (SLOTS - 1)];
	for (struct entry *e = *b; e; e = e->next)
		if (e->key == k) { e->value = v; return; }
	struct entry *e = malloc(sizeof *e);
	e->key = k; e->value = v; e->next = *b; *b = e;
}
static unsigned long get(unsigned long k)
{
	for (struct entry *e = table[hash(k) & (SLOTS - 1)]; e; e = e->next)
		if (e->key == k) return e->value;
	return 0;
}
int main(void)
{
	unsigned long sum = 0, x = 1;
	for (int i = 0; i < 2000000; i++) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		put(x % 3000000, i);
		sum += get((x >> 7) % 3000000);
	}
	printf("%lu\n", sum);
	return 0;
}
"""


def generated_source(lines=10000):
    """Functions of stores, loops and calls: about LINES lines."""
    out = ["#include <string.h>", "struct s { long a, b; int c[8]; };"]
    n = 0
    while len(out) < lines:
        out += [f"void f{n}(struct s *p, long *q, int k, char *d) {{",
                "\tfor (int i = 0; i < k; i++) {",
                "\t\tp->c[i & 7] = i;", "\t\tq[i] += p->a;", "\t}",
                "\tp->a = k;", "\tp->b = q[0] + q[1];",
                "\tmemcpy(d, p, sizeof *p);",
                "\t__atomic_fetch_add(q, 1, __ATOMIC_SEQ_CST);", "}"]
        n += 1
    return "\n".join(out) + "\n"


def cpu_time(cmd, env=None):
    """(cpu, wall) of CMD: cpu is user + system of its whole process tree"""
    cpu, wall, res = bl.timed(cmd, env)
    bl.must_succeed(cmd, res)
    return cpu, wall


def instructions(cmd, env=None):
    """(instructions CMD runs (cachegrind's I refs), None)"""
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null"] + cmd, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, check=True)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    return float(refs.group(1).replace(",", "")), None


measure = cpu_time  # or instructions (--instructions)


def median_times(runs, repeat):
    """(median cpu, median wall) of each run (a function returning (cpu,
    wall)), the runs interleaved REPEAT times"""
    seen = [[] for _ in runs]
    for _ in range(repeat):
        for i, run in enumerate(runs):
            seen[i].append(run())
    return [(bl.median([c for c, _ in ts]),
             None if ts[0][1] is None else bl.median([w for _, w in ts]))
            for ts in seen]


def build(src, exe, plugin, libs=()):
    cmd = ["gcc", "-O2", "-I" + os.path.join(ROOT, "include"), src, "-o",
           exe, *libs]
    subprocess.run(cmd + (["-fplugin=" + plugin] if plugin else []),
                   check=True)


def build_all(tmp, name, src, plugins, libs=()):
    """NAME's executables: plain first, then one per plugin"""
    exes = []
    for i, plugin in enumerate([None] + plugins):
        exes.append(os.path.join(tmp, f"{name}-{i}"))
        build(src, exes[-1], plugin, libs)
    return exes


def source(tmp, name, text):
    path = os.path.join(tmp, name + ".c")
    with open(path, "w") as f:
        f.write(text)
    return path


def pool_run(cmd, pool_dir, env):
    """CMD POOL with a fresh pool directory"""
    shutil.rmtree(pool_dir, ignore_errors=True)
    os.mkdir(pool_dir)
    return measure(cmd + [os.path.join(pool_dir, "pool")], env)


def rows_store(tmp, plugins, fake_rt, repeat):
    exes = build_all(tmp, "store", source(tmp, "store", STORE_LOOP),
                     plugins)
    quiet = dict(os.environ, LD_PRELOAD=fake_rt, PMEMU_FAKE_QUIET="1")
    bare = median_times([lambda e=e: measure([e]) for e in exes], repeat)
    if measure is instructions:
        return [("store loop, no runtime", bare)]
    hooked = median_times([lambda e=e: cpu_time([e], quiet)
                           for e in exes[1:]], repeat)
    return [("store loop, no runtime (goal <= 2.5x)", bare),
            ("store loop, fake runtime, every store a call",
             [bare[0]] + hooked)]


def rows_dram(tmp, plugins, repeat):
    exes = build_all(tmp, "dram", source(tmp, "dram", DRAM_PROGRAM),
                     plugins)
    return [("DRAM hash table, no runtime (goal <= 1.1x)",
             median_times([lambda e=e: measure([e]) for e in exes],
                          repeat))]


def rows_mixed(tmp, plugins, pmemu, repeat):
    src = os.path.join(HERE, "plugin_bench_mixed.c")
    exes = build_all(tmp, "mixed", src, plugins, ["-lpmem"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMEMU_")}
    env["PMEM_IS_PMEM_FORCE"] = "1"  # native libpmem flushes as on pmem
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        pools = os.path.join(shm, "pmem")
        bare = median_times([lambda e=e: pool_run([e], pools, env)
                           for e in exes], repeat)
        if measure is instructions:
            return [("mixed pool updates, no runtime", bare)]
        run = [pmemu, "run", "--quiet", "--pmem-dir", pools, "--"]
        emu = median_times([lambda e=e: pool_run(run + [e], pools, env)
                          for e in exes], repeat)
    return [("mixed pool updates, no runtime", bare),
            ("mixed pool updates, under pmemu run", emu)]


def rows_compile(tmp, plugins, repeat):
    gen = source(tmp, "gen", generated_source())
    obj = os.path.join(tmp, "gen.o")
    cmd = ["gcc", "-O2", "-c", gen, "-o", obj]
    return [("compile 10k-line C file, gcc -O2 -c",
             median_times([lambda p=p: cpu_time(cmd + (["-fplugin=" + p]
                                                     if p else []))
                         for p in [None] + plugins], repeat))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--plugin", action="append",
                    help="[LABEL=]plugin .so (repeat to compare builds)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--benches", default="store,dram,mixed,compile")
    ap.add_argument("--instructions", action="store_true")
    a = ap.parse_args()
    global measure
    if a.instructions:
        measure, a.repeat = instructions, 1
        a.benches = a.benches.replace("compile", "")
    build_dir = os.path.abspath(a.build_dir)
    lib = os.path.join(build_dir, "lib")
    labels, plugins = [], []
    for arg in a.plugin or [os.path.join(lib, "pmemu-gcc.so")]:
        label, _, path = arg.rpartition("=")
        labels.append(label or f"plugin{len(labels)}")
        plugins.append(os.path.abspath(path))
    fake_rt = os.path.join(lib, "libpmemu_gcc_fake_rt.so")
    pmemu = os.path.join(build_dir, "bin", "pmemu")
    wanted = a.benches.split(",")
    for label, path in zip(labels, plugins):
        print(f"# {label} = {path}")
    width = 9 if a.instructions else 14
    cols = "".join(f" {label[:width]:>{width}} {'ratio':>6}"
                   for label in labels)
    unit = ("instructions, M" if a.instructions
            else f"CPU s (wall), median of {a.repeat}")
    print(f"# load average before: {bl.load()}")
    print(f"{'benchmark (' + unit + ')':46}"
          f" {'plain':>{width}}{cols}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in (
                ("store", lambda: rows_store(tmp, plugins, fake_rt,
                                             a.repeat)),
                ("dram", lambda: rows_dram(tmp, plugins, a.repeat)),
                ("mixed", lambda: rows_mixed(tmp, plugins, pmemu, a.repeat)),
                ("compile", lambda: rows_compile(tmp, plugins, a.repeat))):
            if name not in wanted:
                continue
            for what, times in rows():
                print(f"{what:46} {row(times, a.instructions)}")
                sys.stdout.flush()
    print(f"# load average after: {bl.load()}")


def row(times, counts):
    """the plain build's figure, then each plugin's and its ratio"""
    def cell(t):
        if counts:
            return f"{t[0] / 1e6:9.3f}"
        return f"{t[0]:7.3f} ({t[1]:4.2f})"
    return cell(times[0]) + "".join(
        f" {cell(t)} {t[0] / times[0][0]:5.2f}x" for t in times[1:])


if __name__ == "__main__":
    main()
