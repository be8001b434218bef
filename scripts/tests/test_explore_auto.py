"""test_explore_auto.py -- `pmemu explore --explore auto`, the default
(docs/explore.md, "Eager or lazy"): lazy where crash points have more
than 3 states on average or where eager would sample a point, eager
otherwise; the report says which ran (a note, options.explore), and its
verdict and counts are those of that mode run by hand."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")

# reads line 0's first byte (the flag) and, when set, line 1's (its data):
# fails when the flag arrived without the data
CHECK_C = r"""
#include <fcntl.h>
#include <unistd.h>
int check(const char *image)
{
	unsigned char flag = 0, data = 0;
	int fd = open(image, O_RDONLY);
	if (fd < 0)
		return 3;
	pread(fd, &flag, 1, 0);
	if (flag)
		pread(fd, &data, 1, 64);
	close(fd);
	return flag && !data;
}
int main(int argc, char **argv)
{
	return argc > 1 ? check(argv[1]) : 2;
}
"""


def build_check(tmp_path):
    src = tmp_path / "check.c"
    src.write_text(CHECK_C)
    exe, so = tmp_path / "check", tmp_path / "check.so"
    subprocess.run(["cc", "-O1", "-o", str(exe), str(src)], check=True)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(so),
                    str(src)], check=True)
    return str(exe), str(so)


def rounds_trace(tmp_path, widths, name="t", bug=False):
    """One round per entry of widths: that many fresh lines (past the
    check's two) stored, flushed and fenced; with bug, the flag is set
    and persisted before its data is stored."""
    media = tmp_path / (name + ".img")
    media.write_bytes(b"\0" * 65536)
    t = Trace()
    t.region(str(media), 65536)
    line = 2
    for r, k in enumerate(widths):
        for _ in range(k):
            t.store(line * 64, bytes([r + 1]) * 8, site=1)
            t.clwb(line * 64, site=2)
            line += 1
        t.sfence(site=3)
    if bug:
        t.store(0, b"\1" * 8, site=4)
        t.clwb(0, site=5)
        t.sfence(site=6)
    t.store(64, b"\1" * 8, site=7)
    t.clwb(64, site=8)
    t.store(0, b"\1" * 8, site=9)
    t.clwb(0, site=10)
    t.sfence(site=11)
    t.end()
    return t.write(tmp_path / (name + ".trace"))


def explore(tmp_path, trace, check, *extra, name="r"):
    js = tmp_path / (name + ".json")
    r = subprocess.run([PMEMU, "explore", "--trace", str(trace),
                        "--no-progress", "--no-explain", "--crash-points",
                        "all", "--jobs", "2", "--json", str(js), *check,
                        *extra], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(js.read_text())


def auto_notes(rep):
    return [n for n in rep["notes"] if n.startswith("--explore auto:")]


def same_result(a, b):
    assert a["verdict"] == b["verdict"]
    for k in ("points", "states", "checks", "failing_states"):
        assert a["counts"][k] == b["counts"][k], k
    assert a["failures"] == b["failures"]


def auto_inflight(tmp_path, widths):
    """the compiled check with --strategy inflight over rounds of widths,
    explored with the default mode: (trace, check options, report)"""
    exe, _ = build_check(tmp_path)
    trace = rounds_trace(tmp_path, widths)
    check = ["--check", exe + " {pmem}", "--strategy", "inflight"]
    return trace, check, explore(tmp_path, trace, check)


def test_one_line_a_point_runs_eagerly(tmp_path):
    trace, check, rep = auto_inflight(tmp_path, [1] * 30)
    assert rep["options"]["explore"] == "eager"
    assert auto_notes(rep) == []
    same_result(rep, explore(tmp_path, trace, check, "--explore", "eager",
                             name="eager"))


def test_many_states_a_point_run_lazily(tmp_path):
    trace, check, rep = auto_inflight(tmp_path, [4] * 10)
    assert rep["options"]["explore"] == "lazy"
    [note] = auto_notes(rep)
    assert "explored lazily: more than 3 states a crash point" in note
    lazy = explore(tmp_path, trace, check, "--explore", "lazy", name="lazy")
    same_result(rep, lazy)
    assert rep["counts"]["checks"] < explore(
        tmp_path, trace, check, "--explore", "eager",
        name="eager")["counts"]["checks"]


def test_a_point_eager_would_sample_runs_lazily_and_whole(tmp_path):
    """few states on average, but one point past --max-lines: eager would
    sample it (not exhaustive), lazy checks every combination of the
    lines the check reads; the planted bug is found either way"""
    exe, _ = build_check(tmp_path)
    trace = rounds_trace(tmp_path, [1] * 40 + [3], bug=True)
    check = ["--check", exe + " {pmem}", "--strategy", "inflight",
             "--max-lines", "2"]
    rep = explore(tmp_path, trace, check)
    assert rep["options"]["explore"] == "lazy"
    [note] = auto_notes(rep)
    assert "more states than --max-lines/--max-states" in note
    assert rep["counts"]["points_bounded"] == 0
    assert rep["verdict"] == "fail"
    eager = explore(tmp_path, trace, check, "--explore", "eager",
                    name="eager")
    assert eager["counts"]["points_bounded"] == 1
    assert eager["verdict"] == "fail"


def test_one_state_a_point_runs_eagerly_without_a_note(tmp_path):
    exe, _ = build_check(tmp_path)
    trace = rounds_trace(tmp_path, [4] * 10, bug=True)
    rep = explore(tmp_path, trace, ["--check", exe + " {pmem}"])
    assert rep["options"]["explore"] == "eager"
    assert auto_notes(rep) == []
    assert rep["verdict"] == "fail"


def test_a_check_that_cannot_run_lazily_runs_eagerly_with_a_note(tmp_path):
    _, so = build_check(tmp_path)
    trace = rounds_trace(tmp_path, [4] * 10)
    rep = explore(tmp_path, trace, ["--check-so", so + ":check",
                                    "--strategy", "inflight"])
    assert rep["options"]["explore"] == "eager"
    [note] = auto_notes(rep)
    assert note == ("--explore auto: explored eagerly, though the crash "
                    "points have many states: a check that is a library "
                    "function (--check-so) cannot be explored lazily "
                    "(docs/explore.md, \"Eager or lazy\")")
    # past --max-lines: eager samples, lazy would not
    rep = explore(tmp_path, trace, ["--check-so", so + ":check",
                                    "--strategy", "inflight",
                                    "--max-lines", "2"], name="sampled")
    assert rep["options"]["explore"] == "eager"
    assert rep["counts"]["points_bounded"] > 0
    [note] = auto_notes(rep)
    assert note.startswith("--explore auto: explored eagerly, though eager "
                           "samples some crash points: a check that is a "
                           "library function (--check-so)")
    # few states: eager would be chosen anyway, nothing to say
    rep = explore(tmp_path, rounds_trace(tmp_path, [1] * 10, name="few"),
                  ["--check-so", so + ":check", "--strategy", "inflight"],
                  name="few")
    assert rep["options"]["explore"] == "eager"
    assert auto_notes(rep) == []


def test_an_option_of_lazy_exploration_makes_auto_lazy(tmp_path):
    exe, _ = build_check(tmp_path)
    trace = rounds_trace(tmp_path, [1] * 10)
    rep = explore(tmp_path, trace, ["--check", exe + " {pmem}",
                                    "--strategy", "inflight",
                                    "--error-on-unpersisted-read"])
    assert rep["options"]["explore"] == "lazy"
    assert auto_notes(rep) == []


def test_bad_mode_and_lazy_options_with_eager_are_refused(tmp_path):
    trace = rounds_trace(tmp_path, [1])
    for extra, msg in (
            (["--explore", "sometimes"],
             "pmemu: error: --explore sometimes: expected auto, eager or "
             "lazy"),
            (["--explore", "eager", "--budget", "5"],
             "pmemu: error: --budget is an option of lazy exploration: not "
             "with --explore eager"),
            (["--explore", "eager", "--lazy-fork", "on"],
             "pmemu: error: --lazy-fork on is an option of lazy "
             "exploration: not with --explore eager"),
            (["--error-on-unpersisted-read", "--explore", "eager"],
             "pmemu: error: --error-on-unpersisted-read is an option of "
             "lazy exploration: not with --explore eager")):
        r = subprocess.run([PMEMU, "explore", "--trace", str(trace),
                            "--check", "true {pmem}", *extra],
                           capture_output=True, text=True)
        assert r.returncode == 2
        assert r.stderr.strip() == msg


def test_shards_choose_alike_and_mixed_modes_do_not_merge(tmp_path):
    exe, _ = build_check(tmp_path)
    trace = rounds_trace(tmp_path, [4] * 10, bug=True)
    check = ["--check", exe + " {pmem}", "--strategy", "inflight"]
    whole = explore(tmp_path, trace, check, name="whole")
    parts = [explore(tmp_path, trace, check, "--shard", "%d/2" % k,
                     name="auto%d" % k) for k in (1, 2)]
    assert [p["options"]["explore"] for p in parts] == ["lazy", "lazy"]
    merged = tmp_path / "merged.json"
    r = subprocess.run([PMEMU, "merge", "-o", str(merged),
                        str(tmp_path / "auto1.json"),
                        str(tmp_path / "auto2.json")],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    same_result(json.loads(merged.read_text()), whole)
    explore(tmp_path, trace, check, "--explore", "eager", "--shard", "2/2",
            name="eager2")
    r = subprocess.run([PMEMU, "merge", str(tmp_path / "auto1.json"),
                        str(tmp_path / "eager2.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "the reports differ in their options: not shards of one run" \
        in r.stderr
