#!/usr/bin/python3
"""plugin_bench.py -- cost of the pmemu GCC plugin, as ratios in one run.

Builds each benchmark with and without -fplugin=pmemu-gcc.so (gcc -O2) and
prints, best of REPS runs:
  store loop, no runtime     stores to a buffer; the slot is empty
  store loop, fake runtime   same, the buffer registered as pmem: every
                             store calls the hook (fake_rt.so, quiet)
  DRAM program, no runtime   a hash table on malloc'd memory
  compile time               gcc -O2 -c of a generated 10k-line C file

usage: plugin_bench.py BUILD_DIR   (needs BUILD_DIR/lib/pmemu-gcc.so and
       BUILD_DIR/lib/libpmemu_gcc_fake_rt.so)"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
REPS = 5

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


def best_time(cmd, env=None):
    best = None
    for _ in range(REPS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def build(src, exe, plugin):
    cmd = ["gcc", "-O2", "-I" + os.path.join(ROOT, "include"), src, "-o",
           exe]
    subprocess.run(cmd + (["-fplugin=" + plugin] if plugin else []),
                   check=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plugin_bench.py BUILD_DIR")
    lib = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    plugin = os.path.join(lib, "pmemu-gcc.so")
    fake_rt = os.path.join(lib, "libpmemu_gcc_fake_rt.so")
    quiet = dict(os.environ, LD_PRELOAD=fake_rt, PMEMU_FAKE_QUIET="1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (("store", STORE_LOOP), ("dram", DRAM_PROGRAM)):
            src = os.path.join(tmp, name + ".c")
            with open(src, "w") as f:
                f.write(text)
            build(src, os.path.join(tmp, name + "-plain"), None)
            build(src, os.path.join(tmp, name + "-plugin"), plugin)
        plain = best_time([os.path.join(tmp, "store-plain")])
        rows.append(("store loop, no runtime (goal <= 2.5x)", plain,
                     best_time([os.path.join(tmp, "store-plugin")])))
        rows.append(("store loop, fake runtime, every store a call", plain,
                     best_time([os.path.join(tmp, "store-plugin")], quiet)))
        rows.append(("DRAM hash table, no runtime (goal <= 1.1x)",
                     best_time([os.path.join(tmp, "dram-plain")]),
                     best_time([os.path.join(tmp, "dram-plugin")])))
        gen = os.path.join(tmp, "gen.c")
        with open(gen, "w") as f:
            f.write(generated_source())
        obj = os.path.join(tmp, "gen.o")
        rows.append(("compile 10k-line C file, gcc -O2 -c",
                     best_time(["gcc", "-O2", "-c", gen, "-o", obj]),
                     best_time(["gcc", "-O2", "-c", gen, "-o", obj,
                                "-fplugin=" + plugin])))
    print(f"{'benchmark':48} {'plain s':>8} {'plugin s':>9} {'ratio':>6}")
    for name, base, inst in rows:
        print(f"{name:48} {base:8.3f} {inst:9.3f} {inst / base:5.2f}x")


if __name__ == "__main__":
    main()
