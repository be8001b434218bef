"""test_explore_lazy_hot.py -- `--explore lazy`: a page the check touches
in a loop is decided whole only after a number of faults that grows with
the runs deciding it would start (libshim/lazy/lazy_step.c, hot pages;
docs/explore.md "Lazy exploration").

The trace leaves the 5 lines at the start of one page in flight at one
crash point (2 outcomes each, lost or stored: 1 branch each, 5 for the
page), so deciding the page runs the check 2^5 = 32 times there. The
check reads line 16 of that page (never stored: not watched) N times,
each read a fault while the page has watched lines. With a fixed limit
of 64 faults, a loop over a libpmemobj heap page (a chain walk) decided
a never-read new object's line with 129 contents whole: 129 runs at each
such crash point of kvmap100, 36 % of all its runs."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from lazy_runs import (build_check, explore_lazy, in_flight_trace,  # noqa: E402
                       runs_at_one_point)

# check MODE N IMAGE: N reads of line 16, then as MODE says: "none"
# nothing more; "one" line 1; "bug" fails when line 1 was stored
CHECK_C = r"""
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static volatile unsigned char sink;

int main(int argc, char **argv)
{
	int fd = open(argv[3], O_RDONLY);
	if (fd < 0)
		return 3;
	volatile unsigned char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED,
			fd, 0);
	if (p == MAP_FAILED)
		return 3;
	long n = atol(argv[2]);
	for (long i = 0; i < n; i++)
		sink = p[16 * 64 + i % 64];
	if (strcmp(argv[1], "one") == 0)
		sink = p[64 + 9];
	else if (strcmp(argv[1], "bug") == 0 && p[64 + 9] == 2)
		return 1;
	return 0;
}
"""


@pytest.fixture(scope="module")
def check_bin(tmp_path_factory):
    return build_check(tmp_path_factory.mktemp("check"), CHECK_C)


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    return in_flight_trace(tmp_path_factory.mktemp("trace"), 4096,
                           [line * 64 for line in range(5)])


def explore(tmp_path, trace, check_bin, mode, n):
    return explore_lazy(trace, "%s %s %d {pmem}" % (check_bin, mode, n),
                        tmp_path / ("%s-%d.json" % (mode, n)))


@pytest.mark.parametrize("mode, n, runs", [
    ("none", 1000, 1),    # 1000 faults (< 256 x 5): no line read
    ("one", 1000, 2),     # then line 1 alone: its 2 outcomes
    ("none", 2000, 32),   # past 256 faults per branch: the page whole
    ("one", 100000, 32),  # a long loop: the page whole, as before
])
def test_a_hot_page_is_decided_whole_past_its_branches_worth(
        tmp_path, trace, check_bin, mode, n, runs):
    r, rep = explore(tmp_path, trace, check_bin, mode, n)
    assert r.returncode == 0, r.stdout + r.stderr
    assert runs_at_one_point(rep) == runs


@pytest.mark.parametrize("n", [1000, 100000])
def test_a_line_read_after_the_loop_still_fails(tmp_path, trace, check_bin,
                                                n):
    """line 1 read after the loop, precisely or with the page: its stored
    outcome fails the check at the crash point either way"""
    r, rep = explore(tmp_path, trace, check_bin, "bug", n)
    assert r.returncode == 1, r.stdout + r.stderr
    assert rep["verdict"] == "fail", rep
    assert rep["counts"]["failing_states"] >= 1, rep["counts"]
