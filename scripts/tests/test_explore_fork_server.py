"""test_explore_fork_server.py -- the fork server of exec'd checks
(libpmemu-fork.so, docs/explore.md "The fork server"): the verdicts with
it equal those without it, it is used when safe (counts.checks_forked)
and not when off, and every unsafe check runs by exec with a note."""
import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")
PROGS = os.path.join(os.path.dirname(__file__), "progs")
NOTE = "not from a fork server"


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    out = tmp_path_factory.mktemp("check") / "fork_check"
    subprocess.run(["cc", "-O1", "-pthread", os.path.join(
        PROGS, "fork_check.c"), "-o", str(out)], check=True)
    return str(out)


def trace(tmp_path, buggy, rounds=6):
    """rounds of data then flag, each persisted; buggy: the flag and the
    data in flight together (a state with the new flag and old data)"""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(media), 4096)
    for r in range(1, rounds + 1):
        t.store(0, r.to_bytes(8, "little"), site=1)
        if not buggy:
            t.clwb(0, site=2)
            t.sfence(site=3)
        t.store(64, r.to_bytes(8, "little"), site=4)
        t.clwb(64, site=2)
        if buggy:
            t.clwb(0, site=2)
        t.sfence(site=3)
    t.end()
    return t.write(tmp_path / ("buggy.trace" if buggy else "ok.trace"))


def explore(tmp_path, tr, check_cmd, fork_server, *opts):
    report = tmp_path / ("r-%s.json" % fork_server)
    r = subprocess.run(
        [PMEMU, "explore", "--trace", str(tr), "--strategy", "all",
         "--crash-points", "all", "--no-explain", "--no-progress",
         "--fork-server", fork_server, "--check", check_cmd,
         "--json", str(report), *opts],
        capture_output=True, text=True)
    assert r.returncode in (0, 1, 3), r.stderr
    return r, json.loads(report.read_text())


def verdicts(rep):
    """what must not depend on the fork server"""
    counts = dict(rep["counts"])
    del counts["checks_forked"]
    return rep["verdict"], counts, rep["failures"]


def both(tmp_path, tr, check_cmd, *opts):
    on = explore(tmp_path, tr, check_cmd, "on", *opts)
    off = explore(tmp_path, tr, check_cmd, "off", *opts)
    assert verdicts(on[1]) == verdicts(off[1])
    assert off[1]["counts"]["checks_forked"] == 0
    assert not fork_notes(off[1])
    return on, off


def fork_notes(rep):
    return [n for n in rep["notes"] if NOTE in str(n)]


@pytest.mark.parametrize("mode", ["eager", "lazy"])
@pytest.mark.parametrize("buggy", [False, True])
def test_verdicts_equal_and_the_server_is_used(tmp_path, check, buggy, mode):
    (r, rep), _ = both(tmp_path, trace(tmp_path, buggy),
                       check + " exit {pmem}", "--explore", mode)
    assert rep["verdict"] == ("fail" if buggy else "pass")
    counts = rep["counts"]
    passed = counts["checks"] - counts["failing_images"]
    if mode == "eager":
        # every passing check came from the server (failing ones: by exec)
        assert counts["checks_forked"] == passed
    else:
        # lazy runs a check by exec while most recent runs failed
        # (xp_fork_worth); which ones depends on the order runs end in
        assert counts["checks_forked"] <= passed
        assert buggy or counts["checks_forked"] == passed
    assert counts["checks_forked"] > 0
    assert not fork_notes(rep)


def test_a_failing_check_is_run_again_on_its_image_as_it_was(tmp_path,
                                                             check):
    """the check repairs an inconsistent image, then fails: run again by
    exec on the image the failed child left, it would pass (a false
    PASS); the explorer restores the image as it was first"""
    (r, rep), _ = both(tmp_path, trace(tmp_path, True),
                       check + " repair {pmem}")
    assert rep["counts"]["failing_states"] > 0
    assert rep["counts"]["checks_forked"] > 0


def test_failing_checks_of_points_left_behind_run_on_their_images(tmp_path,
                                                                  check):
    """two checks in flight while the explorer moves on through many
    points: each failing check's image is rebuilt as it was at its own
    point, not the base of now"""
    (r, rep), _ = both(tmp_path, trace(tmp_path, True, rounds=40),
                       check + " repair {pmem}", "--jobs", "2")
    assert rep["verdict"] == "fail"
    assert rep["counts"]["failing_states"] >= 40
    assert rep["counts"]["checks_forked"] > 0


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_a_crashing_check_crashes_as_when_execd(tmp_path, check, mode):
    (r, rep), _ = both(tmp_path, trace(tmp_path, True),
                       check + " segv {pmem}", "--explore", mode)
    assert rep["counts"]["crashes"] > 0
    assert rep["counts"]["checks_forked"] > 0
    assert "signal 11" in r.stdout


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_a_hanging_check_is_timed_out_as_when_execd(tmp_path, check, mode):
    (r, rep), _ = both(tmp_path, trace(tmp_path, True, rounds=1),
                       check + " hang {pmem}", "--timeout", "1",
                       "--explore", mode)
    assert rep["counts"]["timeouts"] > 0
    assert rep["counts"]["checks_forked"] > 0
    assert "timed out" in r.stdout


def test_each_child_sees_its_own_state_variables(tmp_path, check):
    log = tmp_path / "states.log"
    (r, rep) = explore(tmp_path, trace(tmp_path, False),
                       "%s env {pmem} %s" % (check, log), "on")
    seen = log.read_text().split()
    assert rep["counts"]["checks_forked"] == rep["counts"]["checks"]
    # one line per check, each a different state: none saw a stale id
    assert len(seen) == rep["counts"]["checks"]
    assert len(set(seen)) == len(seen)


def test_a_file_read_across_the_fork_is_each_childs_own(tmp_path, check):
    """a file opened and half read before the first access to the image:
    each child reads on from where the server stopped, not from where the
    previous child did"""
    data = tmp_path / "ab.txt"
    data.write_text("AB")
    (r, rep), _ = both(tmp_path, trace(tmp_path, False),
                       "%s half {pmem} %s" % (check, data))
    assert rep["verdict"] == "pass"
    assert rep["counts"]["checks_forked"] == rep["counts"]["checks"]


@pytest.mark.parametrize("mode,cmd,why", [
    ("shell", "{check} exit {pmem} && true", "shell syntax"),
    ("fork", "{check} fork {pmem}", "started another program"),
    ("thread", "{check} thread {pmem}", "more than one thread"),
    ("shared", "{check} shared {pmem}", "writable shared mapping"),
    ("raw", "{check} raw {pmem}", "had the image open before"),
    ("untouched", "/bin/true {pmem}", "before it touched the image"),
])
def test_an_unsafe_check_runs_by_exec_with_a_note(tmp_path, check, mode,
                                                  cmd, why):
    (r, rep), _ = both(tmp_path, trace(tmp_path, True),
                       cmd.format(check=check, pmem="{pmem}"))
    assert rep["counts"]["checks_forked"] == 0
    notes = fork_notes(rep)
    assert len(notes) == 1 and why in str(notes[0]), rep["notes"]


def test_a_static_check_runs_by_exec_with_a_note(tmp_path):
    exe = tmp_path / "static_check"
    b = subprocess.run(["cc", "-O1", "-static", "-pthread", os.path.join(
        PROGS, "fork_check.c"), "-o", str(exe)], capture_output=True)
    if b.returncode != 0:
        pytest.skip("no static libc: " + b.stderr.decode()[-200:])
    (r, rep), _ = both(tmp_path, trace(tmp_path, True),
                       str(exe) + " exit {pmem}")
    assert rep["counts"]["checks_forked"] == 0
    notes = fork_notes(rep)
    assert len(notes) == 1 and "did not load libpmemu-fork.so" in \
        str(notes[0]), rep["notes"]


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_jobs_and_time_limit_leave_nothing_running(tmp_path, check, mode):
    # a copy under a name of its own: what is left running is findable
    mine = tmp_path / "fork_check_left"
    shutil.copy(check, mine)
    r, rep = explore(tmp_path, trace(tmp_path, True, rounds=20),
                     str(mine) + " hang {pmem}", "on", "--jobs", "4",
                     "--timeout", "60", "--time-limit", "1",
                     "--explore", mode)
    assert r.returncode == 3, r.stderr
    left = subprocess.run(["pgrep", "-f", str(mine)], capture_output=True,
                          text=True).stdout
    assert left == ""


def test_jobs_verdicts_equal(tmp_path, check):
    (r, rep), _ = both(tmp_path, trace(tmp_path, True, rounds=10),
                       check + " exit {pmem}", "--jobs", "3")
    assert rep["counts"]["checks_forked"] > 0


def test_a_bad_value_is_refused(tmp_path, check):
    r = subprocess.run([PMEMU, "explore", "--trace", "x", "--check",
                        check + " exit {pmem}", "--fork-server", "maybe"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == ("pmemu: error: --fork-server maybe: "
                                "expected on or off")


def test_the_explanation_checks_its_own_images(tmp_path, check):
    """the explanation's images are in another directory: a server
    started on a worker's image must not answer for them"""
    tr = trace(tmp_path, True)
    report = tmp_path / "r.json"
    r = subprocess.run(
        [PMEMU, "explore", "--trace", str(tr), "--strategy", "all",
         "--crash-points", "all", "--no-progress", "--jobs", "1",
         "--check", check + " exit {pmem}", "--json", str(report)],
        capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "minimal explanation" in r.stdout, r.stdout
    assert "not deterministic" not in r.stdout, r.stdout
    rep = json.loads(report.read_text())
    assert rep["counts"]["checks_forked"] > 0


# --explore lazy: each run a child of the server under libpmemu-lazy.so,
# which loads the run's spec and read log in the child (never in the
# server). The report must be the one runs by exec give.

def lazy_report(rep):
    """all of a lazy report that must not depend on the fork server"""
    rep = dict(rep, counts=dict(rep["counts"]))
    del rep["counts"]["checks_forked"]
    rep["notes"] = [n for n in rep["notes"] if NOTE not in str(n)]
    return rep


def lazy_both(tmp_path, tr, check_cmd, *opts):
    on = explore(tmp_path, tr, check_cmd, "on", "--explore", "lazy", *opts)
    off = explore(tmp_path, tr, check_cmd, "off", "--explore", "lazy",
                  *opts)
    assert lazy_report(on[1]) == lazy_report(off[1])
    assert off[1]["counts"]["checks_forked"] == 0
    return on, off


def line2_trace(tmp_path):
    """the buggy trace, with a line at 128 stored and left in flight at
    every point: a run that reads it branches on its outcomes"""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(media), 4096)
    for r in range(1, 4):
        t.store(128, r.to_bytes(8, "little"), site=5)
        t.store(0, r.to_bytes(8, "little"), site=1)
        t.store(64, r.to_bytes(8, "little"), site=4)
        t.clwb(64, site=2)
        t.clwb(0, site=2)
        t.sfence(site=3)
    t.end()
    return t.write(tmp_path / "line2.trace")


@pytest.mark.parametrize("buggy", [False, True])
def test_lazy_runs_come_from_the_server_with_the_same_report(tmp_path,
                                                             check, buggy):
    (r, rep), _ = lazy_both(tmp_path, trace(tmp_path, buggy),
                            check + " exit {pmem}", "--jobs", "2")
    assert rep["verdict"] == ("fail" if buggy else "pass")
    counts = rep["counts"]
    # passing runs came from the server (failing ones: by exec; a slot
    # whose runs mostly failed runs by exec)
    passed = counts["checks"] - counts["failing_states"]
    assert 0 < counts["checks_forked"] <= passed
    assert buggy or counts["checks_forked"] == passed
    assert not fork_notes(rep)


def test_a_slot_whose_lazy_runs_fail_runs_them_by_exec(tmp_path, check):
    """each run that fails in a child runs again by exec: past a
    quarter of the slot's last checks failing, it runs by exec at once"""
    log = tmp_path / "how.log"
    (r, rep) = explore(tmp_path, trace(tmp_path, True),
                       "%s fails {pmem} %s" % (check, log), "on",
                       "--explore", "lazy", "--jobs", "1")
    how = log.read_text().split()
    assert rep["counts"]["checks"] > 10
    assert how.count("exec") == rep["counts"]["checks"]
    assert 0 < how.count("fork") <= 3


def test_a_failing_lazy_run_is_run_again_on_its_image_as_it_was(tmp_path,
                                                                 check):
    """the check repairs an inconsistent image, then fails: run again by
    exec on the image the failed child left, it would pass"""
    (r, rep), _ = lazy_both(tmp_path, trace(tmp_path, True),
                            check + " repair {pmem}")
    assert rep["counts"]["failing_states"] > 0
    assert rep["counts"]["checks_forked"] > 0


def test_a_point_explored_eagerly_in_a_lazy_run_restores_its_images(
        tmp_path, check):
    """a point lazy cannot follow (SEEK_DATA) checks every state, from the
    fork server: a repairing child that failed runs again by exec on the
    image restored"""
    (r, rep), _ = lazy_both(tmp_path, trace(tmp_path, True),
                            check + " holerepair {pmem}", "--jobs", "2")
    assert any("SEEK_DATA" in n for n in rep["notes"]), rep["notes"]
    assert rep["counts"]["failing_states"] > 0
    runs = [int(n.split()[2]) for n in rep["notes"]
            if n.startswith("--explore lazy: ") and " runs of " in n]
    # more passed in a child than the lazy runs: eager checks did too
    assert rep["counts"]["checks_forked"] > runs[0] > 0


def test_a_failing_lazy_runs_reads_are_the_exec_runs(tmp_path, check):
    """a failing child reads line 128, which the run by exec does not:
    the run's reads (its branches) are those of the run by exec"""
    (r, rep), _ = lazy_both(tmp_path, line2_trace(tmp_path),
                            check + " forkread {pmem}")
    assert rep["counts"]["failing_states"] > 0
    assert rep["counts"]["checks_forked"] > 0
    for f in rep["failures"]:
        assert "0.80=" not in f["state"], f


@pytest.mark.parametrize("mode,why", [
    ("raw", "had the image open before"),
    ("rawmap", "had the image open before"),
    ("fork", "started another program"),
    ("thread", "more than one thread"),
])
def test_an_unsafe_lazy_check_runs_by_exec_with_a_note(tmp_path, check,
                                                       mode, why):
    (r, rep), _ = lazy_both(tmp_path, trace(tmp_path, True),
                            "%s %s {pmem}" % (check, mode))
    assert rep["counts"]["checks_forked"] == 0
    notes = fork_notes(rep)
    assert len(notes) == 1 and why in str(notes[0]), rep["notes"]
