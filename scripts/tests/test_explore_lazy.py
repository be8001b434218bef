"""test_explore_lazy.py -- `pmemu explore --explore lazy` (docs/explore.md,
"Lazy exploration"): the states of the lines the check reads, checked by
runs of the check; the same failures as the eager mode, projected on
those lines."""
import json
import os
import random
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")

# A check reading a flag (line 1) and, when it is set, its data (line 0):
# it fails when the flag arrived without the data. It appends what it saw
# to LOG. MODE pread reads with pread, mmap through a shared mapping,
# mmapw too after storing line 2 whole (never enumerated: its outcome
# cannot matter); preadline reads lines 1 and 0 whole, pread one byte of
# each (runs branch on the bytes read).
# what a check saw, appended to LOG: its state, the flag, the data (when
# the flag is set) and whether it fails (flag without data); its verdict
LOGGED_C = r"""
#include <stdio.h>
#include <stdlib.h>
static int
logged(const char *path, unsigned flag, unsigned data)
{
	int bad = flag && !data;
	FILE *log = fopen(path, "a");
	fprintf(log, "%s %u %u %d\n", getenv("PMEMU_STATE"), flag,
			flag ? data : 0, bad);
	fclose(log);
	return bad;
}
"""
CHECK_C = LOGGED_C + r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int fd = open(argv[2], O_RDWR);
	unsigned char flag = 0, data = 0;
	if (fd < 0)
		return 3;
	if (strncmp(argv[1], "mmap", 4) == 0) {
		unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 3;
		if (strcmp(argv[1], "mmapw") == 0) /* line 2 stored whole */
			memset(p + 128, flag + 0xab, 64);
		flag = p[64];
		if (flag)
			data = p[0];
	} else if (strcmp(argv[1], "preadline") == 0) {
		unsigned char line[64];
		pread(fd, line, 64, 64);
		flag = line[0];
		if (flag && pread(fd, line, 64, 0) == 64)
			data = line[0];
	} else {
		pread(fd, &flag, 1, 64);
		if (flag)
			pread(fd, &data, 1, 0);
	}
	return logged(argv[3], flag, data);
}
"""


def build(tmp_path_factory, name, source, *flags):
    d = tmp_path_factory.mktemp(name)
    src = d / (name + ".c")
    src.write_text(source)
    exe = d / name
    subprocess.run(["cc", *flags, "-o", str(exe), str(src)], check=True)
    return str(exe)


@pytest.fixture(scope="module")
def check_bin(tmp_path_factory):
    return build(tmp_path_factory, "check", CHECK_C, "-O1")


def random_trace(tmp_path, seed, line_len=64):
    """Stores to the data line, the flag line and 3 other lines in a
    random order, flushed and fenced at random: some runs publish the
    flag before its data. With line_len over 64 those 64-byte pieces
    share the model's lines (the flag and its data in one line)."""
    rng = random.Random(seed)
    media = tmp_path / ("pool%d.img" % seed)
    media.write_bytes(b"\0" * 4096)
    t = Trace(line=line_len)
    t.region(str(media), 4096)
    for step in range(rng.randint(4, 9)):
        line = rng.choice([0, 1, 2, 3, 4])
        t.store(line * 64 + 8 * rng.randint(0, 7),
                bytes([step + 1]) * 8, site=10 + line)
        if rng.random() < 0.6:
            t.clwb(line * 64, site=20)
        if rng.random() < 0.4:
            t.sfence(site=30)
    t.end()
    return t.write(tmp_path / ("random%d.trace" % seed))


def explore(trace, check, mode, json_path, *extra, jobs=2):
    r = subprocess.run([PMEMU, "explore", "--explore", mode, "--trace",
                        str(trace), "--strategy", "all", "--no-progress",
                        "--no-explain", "--jobs", str(jobs), "--check", check,
                        "--json", str(json_path), *extra],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(json_path.read_text())


def seen(log):
    """(flag, data) the check saw, and whether it failed."""
    out = set()
    for line in log.read_text().split("\n"):
        if line:
            _, flag, data, bad = line.split()
            out.add((int(flag), int(data), bad == "1"))
    return out


def eager_and_lazy(tmp_path, trace, check):
    """both modes' reports of trace with check % LOG (its log file), the
    same verdict, failing points and contents seen: (eager, lazy)"""
    logs, reps = {}, {}
    for mode in ("eager", "lazy"):
        logs[mode] = tmp_path / (mode + ".log")
        logs[mode].write_text("")
        reps[mode] = explore(trace, check % logs[mode], mode,
                             tmp_path / (mode + ".json"))
    eager, lazy = reps["eager"], reps["lazy"]
    assert lazy["verdict"] == eager["verdict"]
    # what the check saw, failing or not, is the same set of contents
    assert seen(logs["lazy"]) == seen(logs["eager"])
    # failing points are the same points
    assert ([p["point"] for p in lazy["points_failing"]] ==
            [p["point"] for p in eager["points_failing"]])
    return eager, lazy


def failing_states(rep):
    """Each failing image: the state that names it, and its states."""
    assert not rep["failures_truncated"]
    return sorted((f["state"], f["states"]) for f in rep["failures"])


@pytest.mark.parametrize("how", ["pread", "mmap", "mmapw"])
@pytest.mark.parametrize("seed", range(6))
def test_lazy_finds_what_eager_finds_on_the_lines_read(tmp_path, check_bin,
                                                       how, seed):
    trace = random_trace(tmp_path, seed)
    eager, lazy = eager_and_lazy(tmp_path, trace,
                                 "%s %s {pmem} %%s" % (check_bin, how))
    # a failing lazy state names only the lines the check read (through a
    # mapping too: the faulting instruction is stepped, lazy_step.c)
    for f in lazy["failures"]:
        for choice in f["state"].partition(":")[2].split(","):
            assert choice == "" or choice.split("=")[0] in ("0.0",
                                                             "0.40"), f
    assert lazy["counts"]["checks"] <= eager["counts"]["states"]
    assert any("--explore lazy:" in n for n in lazy["notes"])


@pytest.mark.parametrize("line_len", [256, 4096])
@pytest.mark.parametrize("how", ["pread", "mmap"])
@pytest.mark.parametrize("seed", [0, 5, 12, 22])  # 5, 12, 22 set the flag
def test_lazy_finds_what_eager_finds_in_lines_over_64_bytes(
        tmp_path, check_bin, line_len, how, seed):
    """lines longer than 64 bytes (a page of the page cache is 4096) are
    decided whole: lazy's verdict, failing points and what the check saw
    are eager's (a first read of such a line once branched on nothing: a
    false PASS)"""
    eager_and_lazy(tmp_path, random_trace(tmp_path, seed, line_len),
                   "%s %s {pmem} %%s" % (check_bin, how))


# the check of CHECK_C through the forms _FORTIFY_SOURCE and preadv2
# give (a length the compiler cannot see: __read_chk, __pread_chk; open
# flags it cannot see: __open_2), built -O2 -D_FORTIFY_SOURCE=2 as
# distributions build: MODE read, pread, preadv2, or odirect (pread of a
# file opened O_DIRECT); logs as CHECK_C
FORTIFIED_C = "#define _GNU_SOURCE\n" + LOGGED_C + r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
static inline __attribute__((always_inline)) void
get(const char *how, int fd, unsigned char *b, size_t n, off_t at)
{
	struct iovec v = { b, n };
	if (strcmp(how, "read") == 0)
		n = lseek(fd, at, SEEK_SET) == at && read(fd, b, n) > 0;
	else if (strcmp(how, "pread") == 0)
		n = pread(fd, b, n, at) > 0;
	else
		n = preadv2(fd, &v, 1, at, 0) > 0;
	if (!n)
		exit(3);
}
int main(int argc, char **argv)
{
	unsigned char flag[64], data[64];
	size_t n = (size_t)atoi(argv[3]);
	int direct = strcmp(argv[1], "odirect") == 0;
	int fd = open(argv[2], O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0)
		return 3;
	if (direct) {
		void *page;
		if (posix_memalign(&page, 4096, 4096) != 0 ||
				pread(fd, page, 4096, 0) != 4096)
			return 3;
		memcpy(flag, (char *)page + 64, 64);
		memcpy(data, page, 64);
	} else {
		get(argv[1], fd, flag, n, 64);
	}
	if (!direct) {
		data[0] = 0;
		if (flag[0])
			get(argv[1], fd, data, n, 0);
	}
	return logged(argv[4], flag[0], data[0]);
}
"""


@pytest.fixture(scope="module")
def fortified_bin(tmp_path_factory):
    exe = build(tmp_path_factory, "fortified", FORTIFIED_C, "-O2",
                "-D_FORTIFY_SOURCE=2")
    syms = subprocess.run(["nm", "-D", exe], capture_output=True,
                          text=True, check=True).stdout
    for name in ("__read_chk", "__pread_chk", "preadv2", "__open_2"):
        assert name in syms, "the compiler did not call " + name
    return exe


@pytest.mark.parametrize("how", ["read", "pread", "preadv2"])
@pytest.mark.parametrize("seed", [5, 12])
def test_lazy_sees_fortified_and_flagged_reads(tmp_path, fortified_bin, how,
                                               seed):
    """reads through __read_chk, __pread_chk and preadv2 decide lines as
    read and pread do: lazy's verdict, failing points and what the check
    saw are eager's (they were unseen: lazy ran once a point)"""
    eager, _ = eager_and_lazy(tmp_path, random_trace(tmp_path, seed),
                              "%s %s {pmem} 1 %%s" % (fortified_bin, how))
    assert eager["verdict"] == "fail"


def test_an_o_direct_open_through_open_2_is_named(tmp_path, fortified_bin):
    """O_DIRECT in flags the compiler cannot see (__open_2): lazy names
    the read it cannot follow and explores those points eagerly, with
    eager's verdict and failing points"""
    eager, lazy = eager_and_lazy(tmp_path, random_trace(tmp_path, 5),
                                 "%s odirect {pmem} 1 %%s" % fortified_bin)
    if not (tmp_path / "eager.log").read_text():
        pytest.skip("the images' file system refuses O_DIRECT")
    assert eager["verdict"] == "fail"
    assert any("with O_DIRECT" in n for n in lazy["notes"])


@pytest.mark.parametrize("how", ["pread", "mmap", "mmapw"])
@pytest.mark.parametrize("seed", [0, 5])
def test_runs_from_the_fork_server_give_the_exec_runs_report(tmp_path,
                                                             check_bin,
                                                             how, seed):
    """each run a child of the fork server (libpmemu-lazy.so loads the
    run's spec and protects the image's pages in the child): the same
    states, ids, failures and reads as runs by exec"""
    trace = random_trace(tmp_path, seed)
    reps = {}
    for fs in ("on", "off"):
        log = tmp_path / (fs + ".log")
        log.write_text("")
        reps[fs] = explore(trace, "%s %s {pmem} %s" % (check_bin, how, log),
                           "lazy", tmp_path / (fs + ".json"),
                           "--fork-server", fs)
        del reps[fs]["options"]["check"]  # the log's name
    forked = reps["on"]["counts"].pop("checks_forked")
    assert reps["off"]["counts"].pop("checks_forked") == 0
    assert forked == reps["on"]["counts"]["checks"] - \
        reps["on"]["counts"]["failing_states"] > 0
    assert reps["on"] == reps["off"]


def test_lazy_state_replays_to_the_failing_image(tmp_path, check_bin):
    t = Trace()
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t.region(str(media), 4096)
    for line in (2, 3, 4):          # lines the check never reads
        t.store(line * 64, b"XXXXXXXX", site=5)
        t.clwb(line * 64, site=5)
    t.store(0, b"DATADATA", site=1)
    t.store(64, b"\x01" * 8, site=2)
    t.clwb(64, site=3)
    t.sfence(site=4)
    t.clwb(0, site=3)
    t.sfence(site=4)
    t.end()
    trace = t.write(tmp_path / "t.trace")
    log = tmp_path / "log"
    log.write_text("")
    check = "%s pread {pmem} %s" % (check_bin, log)
    eager = explore(trace, check, "eager", tmp_path / "e.json")
    lazy = explore(trace, check, "lazy", tmp_path / "l.json")
    assert eager["verdict"] == lazy["verdict"] == "fail"
    # eager: 3 unread lines x 3 outcomes multiply the states; lazy runs
    # only the combinations of the two lines read
    assert lazy["counts"]["checks"] < eager["counts"]["checks"]
    state = lazy["first_failure"]["state"]
    assert state == eager["first_failure"]["state"].split(":")[0] + \
        ":0.40=w1" or "0.40" in state
    out = tmp_path / "img"
    r = subprocess.run([PMEMU, "replay", "--trace", str(trace), "--state",
                        state, "-o", str(out)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([check_bin, "pread", str(out / "pool.img"),
                        str(tmp_path / "replay.log")])
    assert r.returncode == 1


# The eager checks of a point that fell back still run when the next
# point's first run starts: it must not take their slot (it rewrote their
# image and read log and took their verdict as its own: a point explored
# with one run, failures lost or misplaced; with --jobs 1, an abort).
# Seed 5 fails at some states, seed 1 at none.
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("seed", [1, 5])
def test_a_kernel_side_copy_falls_back_to_eager(tmp_path, check_bin, seed,
                                               jobs):
    trace = random_trace(tmp_path, seed)
    log = tmp_path / "log"
    log.write_text("")
    # a copy per check ($$, the check's shell): checks run in parallel
    check = "cp {pmem} %s/copy.$$ && %s pread %s/copy.$$ %s" % (
        tmp_path, check_bin, tmp_path, log)
    eager = explore(trace, check, "eager", tmp_path / "e.json", jobs=jobs)
    lazy = explore(trace, check, "lazy", tmp_path / "l.json", jobs=jobs)
    assert lazy["verdict"] == eager["verdict"]
    for count in ("states", "failing_states", "failing_images"):
        assert lazy["counts"][count] == eager["counts"][count], count
    assert failing_states(lazy) == failing_states(eager)
    notes = " ".join(lazy["notes"])
    assert "in a way pmemu cannot see" in notes
    assert "copied the image in the kernel" in notes


def test_a_check_without_pmem_is_explored_eagerly_with_a_note(tmp_path):
    trace = random_trace(tmp_path, 2)
    rep = explore(trace, "true", "lazy", tmp_path / "l.json")
    assert any("--explore lazy: the check has no {pmem}" in n
               for n in rep["notes"])


def test_a_budget_says_how_many_branches_were_not_checked(tmp_path,
                                                         check_bin):
    trace = random_trace(tmp_path, 3)
    log = tmp_path / "log"
    log.write_text("")
    check = "%s preadline {pmem} %s" % (check_bin, log)
    full = explore(trace, check, "lazy", tmp_path / "f.json")
    most = max(int(n.split("most at one crash point: ")[1].split()[0])
               for n in full["notes"] if "most at one crash point" in n)
    assert most > 1
    cut = explore(trace, check, "lazy", tmp_path / "c.json", "--budget", "1")
    notes = " ".join(cut["notes"])
    assert "more than --budget=1 runs were needed" in notes
    assert "were not checked" in notes
    assert cut["counts"]["checks"] < full["counts"]["checks"]


def test_every_combination_of_the_lines_read_is_run(tmp_path, check_bin):
    """Two lines the check reads, 8 stores each, never flushed: 9 eviction
    outcomes each (lost, or a prefix of 1..8 stores), 81 runs at the
    point (more than the first allocation of runs)."""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(media), 4096)
    for i in range(8):
        t.store(8 * i, bytes([i + 1]) * 8, site=1)
        t.store(64 + 8 * i, bytes([i + 1]) * 8, site=2)
    t.end()
    trace = t.write(tmp_path / "t.trace")
    log = tmp_path / "log"
    log.write_text("")
    # flag byte 64 set by the first store of line 1: then it reads line 0
    check = "%s preadline {pmem} %s" % (check_bin, log)
    rep = explore(trace, check, "lazy", tmp_path / "l.json")
    eager = explore(trace, check, "eager", tmp_path / "e.json")
    assert rep["verdict"] == eager["verdict"] == "fail"
    assert rep["counts"]["states"] == 1 + 8 * 9
    assert rep["counts"]["failing_states"] == 8
    assert any("most at one crash point: 73" in n for n in rep["notes"])


def test_runs_branch_on_the_bytes_read_not_the_line(tmp_path, check_bin):
    """The trace above, a check reading one byte of each line: the byte
    of line 1 takes 2 values over its 9 outcomes (0 lost, 1 from the
    first store on), and so does line 0's: 1 + 2 runs, not 73; the one
    failing run (flag set, data lost) is eager's first failing image."""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(media), 4096)
    for i in range(8):
        t.store(8 * i, bytes([i + 1]) * 8, site=1)
        t.store(64 + 8 * i, bytes([i + 1]) * 8, site=2)
    t.end()
    trace = t.write(tmp_path / "t.trace")
    log = tmp_path / "log"
    log.write_text("")
    check = "%s pread {pmem} %s" % (check_bin, log)
    rep = explore(trace, check, "lazy", tmp_path / "l.json")
    eager = explore(trace, check, "eager", tmp_path / "e.json")
    assert rep["verdict"] == eager["verdict"] == "fail"
    assert rep["counts"]["states"] == 3
    assert rep["counts"]["failing_states"] == 1
    # the failing run replays to an image the check fails on
    out = tmp_path / "img"
    r = subprocess.run([PMEMU, "replay", "--trace", str(trace), "--state",
                        rep["first_failure"]["state"], "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([check_bin, "pread", str(out / "pool.img"),
                        str(tmp_path / "replay.log")])
    assert r.returncode == 1


def test_explore_mode_is_checked(tmp_path):
    r = subprocess.run([PMEMU, "explore", "--explore", "sometimes",
                        "--trace", "x", "--check", "true {pmem}"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("pmemu: error: --explore sometimes")
