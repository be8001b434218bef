"""test_explore_lazy_step.py -- `--explore lazy` through a mapping decides
the lines an instruction touches, not its page (libshim/lazy/lazy_step.c,
docs/explore.md "Lazy exploration"): runs multiply only by the outcomes of
lines the check reads; a line it stores whole before reading it is never
enumerated; a system call given a buffer in the image works and reads it.

Every trace here leaves the 5 lines of one page in flight at one crash
point (flushed, not fenced: 2 outcomes each, lost or stored), so deciding the page would run the
check 2^5 = 32 times there."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from lazy_runs import (build_check, explore_lazy, in_flight_trace,  # noqa: E402
                       runs_at_one_point)

# check MODE IMAGE: maps the image shared and touches it as MODE says;
# exit 0 unless a call fails (3): every state passes, the runs are counted
CHECK_C = r"""
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile unsigned char sink;

static void *idle(void *arg) { return arg; }

int main(int argc, char **argv)
{
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 3;
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	const char *m = argv[1];
	if (strcmp(m, "one") == 0) {            /* line 1 */
		sink = p[64 + 9];
	} else if (strcmp(m, "overwrite") == 0) { /* line 2 whole, then 1 */
		volatile uint64_t *w = (volatile uint64_t *)(p + 128);
		for (int i = 0; i < 8; i++)
			w[i] = 0x1111111111111111ull * (unsigned)i;
		sink = p[128 + 40];
		sink = p[64];
	} else if (strcmp(m, "partial") == 0) {   /* half of 2, then 2 and 1 */
		volatile uint64_t *w = (volatile uint64_t *)(p + 128);
		for (int i = 0; i < 4; i++)
			w[i] = 7;
		sink = p[128 + 40];
		sink = p[64];
	} else if (strncmp(m, "stosw", 5) == 0) { /* half of 2, rep stosw */
		void *dst = p + 128;
		size_t n = 16;
		__asm__ volatile("rep stosw" : "+D"(dst), "+c"(n) : "a"(7)
				: "memory");
		/* a failure only in flight: line 2 stored, line 1 lost */
		if (m[5] == '+' && p[128 + 40] == 3 && p[64] == 0)
			return 1;
		sink = p[128 + 40];
		sink = p[64];
	} else if (strcmp(m, "repmovs") == 0) {   /* line 3 by rep movsb */
		unsigned char buf[64];
		void *dst = buf;
		const void *src = p + 192;
		size_t n = sizeof(buf);
		__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n)
				: : "memory");
		sink = buf[63];
	} else if (strcmp(m, "thread") == 0) {    /* a thread: the page */
		pthread_t t;
		if (pthread_create(&t, NULL, idle, NULL) != 0 ||
				pthread_join(t, NULL) != 0)
			return 3;
		sink = p[64];
	} else if (strcmp(m, "syscall") == 0) {   /* line 0, line 4 by write */
		int out = open("/dev/null", O_WRONLY);
		sink = p[0];
		if (out < 0 || write(out, p + 256, 64) != 64)
			return 3;
	} else {
		return 2;
	}
	return 0;
}
"""


@pytest.fixture(scope="module")
def check_bin(tmp_path_factory):
    return build_check(tmp_path_factory.mktemp("check"), CHECK_C, "-pthread")


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    return in_flight_trace(tmp_path_factory.mktemp("trace"), 4096,
                           [line * 64 for line in range(5)])


def runs_at_the_point(tmp_path, trace, check_bin, mode):
    r, rep = explore_lazy(trace, "%s %s {pmem}" % (check_bin, mode),
                          tmp_path / (mode + ".json"))
    assert r.returncode == 0, r.stdout + r.stderr
    return runs_at_one_point(rep)


@pytest.mark.parametrize("mode, runs", [
    ("one", 2),        # line 1's two outcomes; the page: 32
    ("overwrite", 2),  # line 2 stored whole first: only line 1
    ("partial", 4),    # line 2's unwritten half is read: lines 2 and 1
    ("stosw", 4),      # rep stosw (66 f3 ab) stores half of line 2
    ("repmovs", 2),    # the rep string copies line 3 only
    ("syscall", 4),    # line 0 read, line 4 read by write(2)
    ("thread", 32),    # a thread could read the open page: the page
])
def test_the_runs_are_the_outcomes_of_the_lines_touched(tmp_path, trace,
                                                        check_bin, mode,
                                                        runs):
    assert runs_at_the_point(tmp_path, trace, check_bin, mode) == runs


def test_a_line_half_stored_by_rep_stosw_is_still_enumerated(tmp_path, trace,
                                                             check_bin):
    """`rep stosw` as the assembler encodes it (66 f3 ab) stores 2-byte
    elements: a check failing when the half of line 2 it did not store is
    stored (3) and line 1 lost fails at the crash point; counted as
    4-byte ones (capstone 4's reading), the line was taken as stored
    whole, never enumerated: a false PASS there"""
    r, rep = explore_lazy(trace, "%s stosw+ {pmem}" % check_bin,
                          tmp_path / "r.json")
    assert r.returncode == 1, r.stdout + r.stderr
    assert rep["verdict"] == "fail", rep
    assert rep["counts"]["failing_states"] == 1, rep["counts"]


# check IMAGE: line 70 read by pread, line 95 by a load through a mapping
# (lines 100 bytes apart at 128-byte steps); fails when 70 was stored and
# 95 lost
MANY_C = r"""
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	unsigned char a;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || pread(fd, &a, 1, 70 * 128) != 1)
		return 3;
	volatile unsigned char *p = mmap(0, 16384, PROT_READ, MAP_SHARED,
			fd, 0);
	if (p == MAP_FAILED)
		return 3;
	return a == 71 && p[95 * 128] == 0 ? 1 : 0;
}
"""


def test_lines_past_the_first_64_of_the_spec_are_watched(tmp_path):
    """a spec of more lines than libpmemu-lazy keeps in static storage
    (64: lazy_lines.c) is watched whole: lines 70 and 95 of 100 decide"""
    exe = build_check(tmp_path, MANY_C)
    trace = in_flight_trace(tmp_path, 16384,
                            [i * 128 for i in range(100)])
    r, rep = explore_lazy(trace, exe + " {pmem}", tmp_path / "r.json")
    assert r.returncode == 1, r.stdout + r.stderr
    assert rep["verdict"] == "fail"
    # 70 lost: 95 never read; 70 stored: 95 lost or stored
    assert runs_at_one_point(rep) == 3
