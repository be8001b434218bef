"""test_explore_lazy_emul.py -- `--explore lazy`: libpmemu-lazy runs plain
loads, stores, ALU instructions with a memory operand and rep movs/stos in
its fault handler instead of stepping them with the trap flag
(libshim/lazy/lazy_emul.c, docs/explore.md "Lazy exploration"): the
check's runs and verdicts are those of stepping, and no SIGTRAP is taken
(PMEMU_LAZY_STATS counts them per process).

The trace leaves 7 lines of a two-page image in flight at one crash point
(flushed, not fenced: 2 outcomes each, lost or stored): lines 0-4 of page
0, and the last line of page 0 and the first of page 1."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from lazy_runs import (build_check, explore_lazy, in_flight_trace,  # noqa: E402
                       runs_at_one_point)

LINES = [0, 64, 128, 192, 256, 4032, 4096]

# a library the check links: its constructor runs before libpmemu-lazy's,
# so its SIGSEGV handler is the one libpmemu-lazy passes the check's own
# faults to; it opens guard_page at its first fault there
GUARD_C = r"""
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

char *guard_page;
int guard_faults;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;
	(void)uc;
	if (guard_page && a >= guard_page && a < guard_page + 4096) {
		guard_faults++;
		mprotect(guard_page, 4096, PROT_READ | PROT_WRITE);
		return;
	}
	signal(sig, SIG_DFL);
}

__attribute__((constructor)) static void guard_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
}
"""

# check MODE IMAGE: maps the image shared and reads it as MODE says; exit 0
# unless a call fails (3) or a copy differs from the file's bytes (4)
CHECK_C = r"""
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern char *guard_page;
extern int guard_faults;
static volatile uint64_t sink;

/* copy -- rep movsb of n bytes from src to dst; 0 when its registers
 * end past both (rdi, rsi) and at 0 (rcx) */
static int copy(unsigned char *dst, const unsigned char *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t c = n;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(c)
			: : "memory");
	return d != dst + n || s != src + n || c != 0;
}

int main(int argc, char **argv)
{
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 3;
	unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	const char *m = argv[1];
	if (strcmp(m, "loads") == 0) {      /* lines 1 and 2: mov, cmp, add */
		volatile uint64_t *q = (volatile uint64_t *)(p + 128);
		uint32_t sum = 0;
		sink = p[64 + 9];
		if (*q == 0x0303030303030303ull)
			sink += 1;
		__asm__ volatile("addl (%1), %0" : "+r"(sum)
				: "r"(p + 132) : "cc");
		sink += sum;
	} else if (strcmp(m, "stores") == 0) { /* line 3 whole, then read */
		volatile uint64_t *w = (volatile uint64_t *)(p + 192);
		for (int i = 0; i < 8; i++)
			w[i] = 7;
		sink = p[192 + 8] + p[64];
	} else if (strcmp(m, "span") == 0) {   /* rep movsb over both pages */
		unsigned char buf[64], want[64];
		if (copy(buf, p + 4096 - 32, sizeof(buf)))
			return 4;
		if (pread(fd, want, sizeof(want), 4096 - 32) != 64)
			return 3;
		if (memcmp(buf, want, sizeof(buf)) != 0)
			return 4;
	} else if (strcmp(m, "fill") == 0) {   /* rep stosq: line 4 whole */
		void *dst = p + 256;
		size_t n = 8;
		__asm__ volatile("rep stosq" : "+D"(dst), "+c"(n)
				: "a"(0x0909090909090909ull) : "memory");
		sink = p[256 + 3] + p[0];
	} else if (strncmp(m, "guard", 5) == 0) { /* line 1 into a guard */
		unsigned char *g = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), want[64];
		if (g == MAP_FAILED || mprotect(g + 4096, 4096, PROT_NONE))
			return 3;
		if (strcmp(m, "guard-opened") == 0) /* the check's handler */
			guard_page = (char *)g + 4096;
		if (copy(g + 4096 - 16, p + 64, 64) || g[4096 + 48] != 0)
			return 4;
		if (pread(fd, want, sizeof(want), 64) != 64)
			return 3;
		if (memcmp(g + 4096 - 16, want, 64) != 0 || guard_faults != 1)
			return 4;
	} else {
		return 2;
	}
	return 0;
}
"""


@pytest.fixture(scope="module")
def check_bin(tmp_path_factory):
    """the check, linked with the guard library (its handler first)"""
    d = tmp_path_factory.mktemp("check")
    (d / "guard.c").write_text(GUARD_C)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o",
                    str(d / "libguard.so"), str(d / "guard.c")], check=True)
    return build_check(d, CHECK_C, "-Wl,--no-as-needed", "-L" + str(d),
                       "-lguard", "-Wl,-rpath," + str(d))


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    return in_flight_trace(tmp_path_factory.mktemp("trace"), 8192, LINES)


def explore(tmp_path, trace, check_bin, mode):
    """the report and the PMEMU_LAZY_STATS lines of every check process"""
    stats = tmp_path / (mode + ".stats")
    r, rep = explore_lazy(trace, "%s %s {pmem}" % (check_bin, mode),
                          tmp_path / (mode + ".json"),
                          dict(os.environ, PMEMU_LAZY_STATS=str(stats)))
    assert r.returncode in (0, 1), r.stdout + r.stderr
    procs = []
    for line in stats.read_text().splitlines() if stats.exists() else []:
        f = line.split()
        procs.append({f[i]: int(f[i + 1]) for i in range(1, len(f), 2)})
    return rep, procs


@pytest.mark.parametrize("mode, runs", [
    ("loads", 4),   # line 1 (a byte), line 2 (8 bytes, then 4 more)
    ("stores", 2),  # line 3 stored whole first: only line 1
    ("span", 4),    # the last line of page 0, the first of page 1
    ("fill", 2),    # line 4 stored whole by rep stosq: only line 0
])
def test_runs_as_stepped_without_a_trap(tmp_path, trace, check_bin, mode,
                                        runs):
    rep, procs = explore(tmp_path, trace, check_bin, mode)
    assert rep["verdict"] == "pass", rep
    assert runs_at_one_point(rep) == runs
    assert procs, "no PMEMU_LAZY_STATS line"
    assert sum(p["faults"] for p in procs) > 0
    assert sum(p["traps"] for p in procs) == 0, procs
    assert sum(p["emulated"] + p["rep"] for p in procs) > 0, procs


def test_a_fault_of_the_check_own_in_a_rep_string_is_its_own(
        tmp_path, trace, check_bin):
    """rep movsb of line 1 into a guard page: run in the handler, it hands
    the instruction back at the guard, where the check takes its SIGSEGV
    (and dies of it) as when stepped; the runs are line 1's outcomes"""
    rep, _ = explore(tmp_path, trace, check_bin, "guard")
    assert rep["verdict"] == "fail", rep
    assert runs_at_one_point(rep) == 2
    assert rep["counts"]["crashes"] > 0, rep["counts"]


def test_a_rep_string_handed_back_goes_on_where_it_stopped(
        tmp_path, trace, check_bin):
    """the same with a handler of the check's (a library it links, whose
    constructor runs first) that opens the guard: the check's handler
    sees one fault, the copy resumes where it stopped and is the file's
    bytes (exit 4 else); after the hand-back the instruction is stepped"""
    rep, procs = explore(tmp_path, trace, check_bin, "guard-opened")
    assert rep["verdict"] == "pass", rep
    assert runs_at_one_point(rep) == 2
    assert sum(p["traps"] for p in procs) > 0, procs
