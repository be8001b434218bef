"""test_explore_lazy_fork.py -- `--explore lazy --lazy-fork on`: the
check's root process forks at its first read of an undecided line, one
child per other outcome, instead of pmemu running the check again from
the start (libshim/lazy/lazy_fork.c, emulator/explore/lazy_fork.c,
docs/explore.md "Forking at the read"). The report is that of
--lazy-fork off: the same states, ids, verdicts and counts.

Every trace leaves lines 0, 1 and 2 of one image in flight at one crash
point (2 outcomes each, lost or stored: byte i + 1 in line i). The check
logs each run's state, pid and parent: a run whose parent is another
run's process was forked at a read."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from lazy_runs import build_check, in_flight_trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")

# check MODE IMAGE LOG: maps the image shared, reads line 0's byte, then
# line 1's, appending "<PMEMU_STATE> <pid> <ppid>" to LOG first.
#   fail:    fails (exit 1) when line 0 is stored and line 1 lost
#   recover: before each read, the image must be as pmemu wrote it (4096
#            bytes, byte 3000 zero), else exit 2; after the reads it
#            writes byte 3000 and grows the file, as a recovery would
#   hang:    hangs when line 0 is stored
#   kill, segv: killed by SIGKILL, SIGSEGV when line 0 is stored
#   slow:    also reads line 2; every run sleeps SLOW_MS ms at the end
CHECK_C = r"""
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fd;
static unsigned char *p;

static void pristine(void)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size != 4096 || p[3000] != 0) {
		printf("dirty image: %ld bytes, byte 3000 %u\n",
				(long)st.st_size, p[3000]);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argv[1];
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 3;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	printf("checking\n");
	fflush(stdout);
	int recover = strcmp(mode, "recover") == 0;
	if (recover)
		pristine();
	unsigned char a = p[0];
	if (recover)
		pristine();
	unsigned char b = p[64];
	unsigned char c = strcmp(mode, "slow") == 0 ? p[128] : 0;
	FILE *log = fopen(argv[3], "a");
	fprintf(log, "%s %d %d\n", getenv("PMEMU_STATE"), (int)getpid(),
			(int)getppid());
	fclose(log);
	if (recover) {
		pristine();
		p[3000] = 0x77;
		msync(p, 4096, MS_SYNC);
		if (ftruncate(fd, 8192) != 0)
			return 3;
	}
	if (a && strcmp(mode, "hang") == 0)
		for (;;)
			pause();
	if (a && strcmp(mode, "kill") == 0)
		raise(SIGKILL);
	if (a && strcmp(mode, "segv") == 0)
		*(volatile int *)(p + 8192) = b; /* past the mapping */
	if (strcmp(mode, "slow") == 0) {
		struct timespec t = { 0, atoi(getenv("SLOW_MS")) * 1000000L };
		nanosleep(&t, NULL);
	}
	if (strcmp(mode, "fail") == 0 && a && !b) {
		printf("line 0 without line 1\n");
		return 1;
	}
	return c == 0xff; /* never: line 2 holds 0 or 3 */
}
"""


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    return build_check(tmp_path_factory.mktemp("check"), CHECK_C)


def explore(trace, check, mode, d, fork, *extra, env=None):
    """the JSON report of a lazy explore with --lazy-fork fork, and the
    runs the check logged: (state, pid, ppid)"""
    log = d / ("%s-%s.log" % (mode, fork))
    log.write_text("")
    js = d / ("%s-%s.json" % (mode, fork))
    r = subprocess.run([PMEMU, "explore", "--explore", "lazy", "--trace",
                        str(trace), "--strategy", "pessimistic,inflight",
                        "--no-progress", "--no-explain", "--lazy-fork", fork,
                        "--check",
                        "%s %s {pmem} %s" % (check, mode, log), "--json",
                        str(js), *extra], capture_output=True, text=True,
                       env=env)
    assert r.returncode in (0, 1), r.stderr
    rep = json.loads(js.read_text())
    del rep["options"]["check"]  # the log's name
    runs = [tuple(l.split()) for l in log.read_text().splitlines()]
    return rep, runs


def forked(runs):
    """the runs forked at a read: their parent is another run"""
    pids = {pid for _, pid, _ in runs}
    return [r for r in runs if r[2] in pids]


def compare(tmp_path, check, mode, *extra, env=None, forks=True):
    """the report with --lazy-fork on is that of off; on forks (forks),
    off never does; each run's PMEMU_STATE as with off"""
    trace = in_flight_trace(tmp_path, 4096, [0, 64, 128])
    on, on_runs = explore(trace, check, mode, tmp_path, "on", *extra,
                          env=env)
    off, off_runs = explore(trace, check, mode, tmp_path, "off", *extra,
                            env=env)
    assert on == off
    assert not forked(off_runs)
    assert bool(forked(on_runs)) == forks, on_runs
    assert {s for s, _, _ in on_runs} == {s for s, _, _ in off_runs}
    return on


@pytest.mark.parametrize("server", ["on", "off"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_leaf_has_the_state_and_report_of_runs_from_the_start(
        tmp_path, check, server, jobs):
    """(--jobs 2: the runs of the shard workers, lazy_pool.c)"""
    rep = compare(tmp_path, check, "fail", "--fork-server", server,
                  "--jobs", jobs)
    assert rep["verdict"] == "fail"
    assert [f["state"].split(":")[1] for f in rep["failures"]] == ["0.0=w1"]
    # what it printed before the fork and after
    assert rep["first_failure"]["output"] == \
        "checking\nline 0 without line 1\n"


def test_a_leaf_that_writes_its_image_leaves_the_next_one_pristine(
        tmp_path, check):
    """a leaf's recovery writes the image and grows it: its parent puts
    it back before the next leaf and goes on (each checks it: exit 2)"""
    rep = compare(tmp_path, check, "recover", "--fork-server", "off",
                  "--jobs", "1")
    assert rep["verdict"] == "pass", rep["failures"]


def test_a_leaf_that_hangs_is_killed_with_verdict_hang(tmp_path, check):
    rep = compare(tmp_path, check, "hang", "--fork-server", "off",
                  "--jobs", "1", "--timeout", "1")
    assert rep["counts"]["timeouts"] >= 1
    assert rep["failures"][0]["state"].split(":")[1] == "0.0=w1"


@pytest.mark.parametrize("mode", ["kill", "segv"])
def test_a_leaf_killed_by_a_signal_has_that_verdict(tmp_path, check, mode):
    rep = compare(tmp_path, check, mode, "--fork-server", "off",
                  "--jobs", "1")
    assert rep["verdict"] == "fail"
    assert rep["counts"]["crashes"] >= 1


def test_time_waiting_for_forked_leaves_is_not_the_roots(tmp_path, check):
    """8 runs of 0.8 s each at one point, forked from one root: the root
    waits 5.6 s for them, past --timeout 4, and is not a hang (nor is any
    leaf); and 1 run at the exit"""
    env = dict(os.environ, SLOW_MS="800")
    rep = compare(tmp_path, check, "slow", "--fork-server", "off",
                  "--jobs", "1", "--timeout", "4", env=env)
    assert rep["verdict"] == "pass", rep["failures"]
    assert rep["counts"]["checks"] == 9


def test_lazy_fork_is_checked(tmp_path):
    r = subprocess.run([PMEMU, "explore", "--lazy-fork", "maybe"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "pmemu: error: --lazy-fork maybe: expected on or off" in r.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_temporary_directory_is_left_empty(tmp_path, check, jobs):
    """the side files of each slot (spec, read log, the wait file its
    root created) and the failing leaves' output files are removed: the
    explore's directory under TMPDIR is gone at its end"""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    trace = in_flight_trace(tmp_path, 4096, [0, 64, 128])
    rep, runs = explore(trace, check, "fail", tmp_path, "on",
                        "--fork-server", "off", "--jobs", jobs,
                        env=dict(os.environ, TMPDIR=str(tmp)))
    assert forked(runs)
    assert rep["verdict"] == "fail"
    assert sorted(os.listdir(tmp)) == []
