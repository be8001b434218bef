"""test_explore_lazy_decoder.py -- libpmemu-lazy.so loads capstone only in
a process that maps an image file (libshim/lazy/lazy_decoder.c): a check
that reads the image with pread, or a shell, starts without it; one that
maps the image has it, and its reads are still decided per instruction.

The check looks for capstone in its own /proc/self/maps; --fork-server
off, so each run is the exec'd process itself. With the fork server on, the
server loads it only once a child needed it, before its next fork: a check
that never maps the image never has it (it cost every fork its page
tables), one that maps it has it from the second run on, inherited."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lazy_runs import (build_check, in_flight_trace,  # noqa: E402
                       runs_at_one_point)

# check MODE IMAGE [OUT]: pread line 1 (MODE read: exit 1 with capstone
# loaded) or map the image and load line 1 (MODE map: appends to OUT
# whether capstone was loaded before the mapping and after it, "01 " for
# not before, loaded after; at a crash point with no line undecided
# nothing is watched and nothing loaded)
CHECK_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int capstone_loaded(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		found |= strstr(line, "libcapstone") != NULL;
	if (f != NULL)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	char buf[8];
	int fd = open(argv[2], O_RDONLY);
	if (fd < 0)
		return 3;
	int map = strcmp(argv[1], "map") == 0;
	int before = capstone_loaded();
	if (map) {
		volatile unsigned char *p = mmap(NULL, 4096, PROT_READ,
				MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 3;
		buf[0] = p[64 + 9];
	} else if (pread(fd, buf, sizeof(buf), 64) != sizeof(buf)) {
		return 3;
	}
	if (!map)
		return capstone_loaded() ? 1 : 0;
	FILE *out = fopen(argv[3], "a");
	if (out == NULL)
		return 3;
	fprintf(out, "%d%d ", before, capstone_loaded());
	return fclose(out) == 0 ? 0 : 3;
}
"""


def explore(tmp_path, pmemu, mode, server="off"):
    """the check in MODE (read, map) explored lazily, passing: the
    report, and what the map checks appended to their file"""
    exe = build_check(tmp_path, CHECK_C)
    trace = in_flight_trace(tmp_path, 4096, [64, 128])
    out, js = tmp_path / "loaded", tmp_path / "r.json"
    check = "%s %s {pmem} %s" % (exe, mode, out)
    r = subprocess.run([pmemu, "explore", "--explore", "lazy", "--trace",
                        str(trace), "--strategy", "pessimistic,inflight",
                        "--no-progress", "--no-explain", "--jobs", "1",
                        "--fork-server", server, "--check", check,
                        "--json", str(js)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(js.read_text())
    assert rep["verdict"] == "pass"
    return rep, out.read_text().split() if out.exists() else []


def test_a_check_that_does_not_map_the_image_runs_without_capstone(
        tmp_path, pmemu_bin):
    rep, _ = explore(tmp_path, pmemu_bin, "read")
    assert runs_at_one_point(rep) == 2   # line 1 read: lost, stored


def test_a_check_that_maps_the_image_loads_capstone_and_steps(
        tmp_path, pmemu_bin):
    rep, runs = explore(tmp_path, pmemu_bin, "map")
    # each exec'd run that watches a line loads it (none has it before)
    assert "01" in runs and set(runs) <= {"00", "01"}, runs
    # stepped: only line 1 decided (its page whole would be 2 x 2 runs)
    assert runs_at_one_point(rep) == 2


def test_a_fork_server_whose_children_never_map_the_image_never_loads_it(
        tmp_path, pmemu_bin):
    rep, _ = explore(tmp_path, pmemu_bin, "read", server="on")
    # every run passed in a child: none had capstone
    assert rep["counts"]["checks_forked"] == rep["counts"]["checks"] > 1
    assert runs_at_one_point(rep) == 2


def test_a_fork_server_loads_capstone_once_a_child_needed_it(
        tmp_path, pmemu_bin):
    rep, runs = explore(tmp_path, pmemu_bin, "map", server="on")
    assert rep["counts"]["checks_forked"] == rep["counts"]["checks"] > 2
    # the first child loads it itself; the server then, for the others
    assert runs[0] == "01" and set(runs[1:]) == {"11"}, runs
    assert runs_at_one_point(rep) == 2   # stepped, in every child
