"""test_platform_cxl.py -- --domain cxl (issue 13, item 5): as adr while
running; a crash state has Global Persistent Flush succeed (every line's
view written back) or fail (adr's states), and a check learns which from
PMEMU_DIRTY_SHUTDOWN (1: failed, the dirty shutdown count moved).
progs/assume_eadr.c "buggy" flushes nothing, relying on GPF; its recovery
progs/check_gpf.py is "trusting" (ignores the count) or "counting"."""
import json
import os
import subprocess
import sys

from test_explore_programs import PMEMU, PROGS
from test_platform_explore import twin  # noqa: F401 (the fixture)


def explore(tmp_path, exe, recovery, *opts):
    pm = tmp_path / "pm"
    pm.mkdir(exist_ok=True)
    check = "%s %s %s {pmem}" % (sys.executable,
                                 os.path.join(PROGS, "check_gpf.py"),
                                 recovery)
    return subprocess.run(
        [PMEMU, "explore", "--pmem-dir", str(pm), "--no-explain",
         "--check", check, *opts, "--", exe, str(pm / "pool"), "buggy"],
        capture_output=True, text=True)


def last_line(r):
    return r.stdout.strip().splitlines()[-1]


def test_relying_on_gpf_without_the_count_is_caught(tmp_path, twin):
    # pessimistic: GPF failed with nothing written back, or with one line
    # of the two (the flag without its data), or GPF succeeded
    r = explore(tmp_path, twin, "trusting", "--domain", "cxl")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "flag set, data lost (dirty shutdown: 1)" in r.stdout
    assert ("  Global Persistent Flush failed: the dirty shutdown count "
            "moved (PMEMU_DIRTY_SHUTDOWN=1)\n") in r.stdout


def test_the_json_report_says_the_failing_state_had_a_dirty_shutdown(
        tmp_path, twin):
    """first_failure.dirty_shutdown, and the same after a merge of two
    shards (the failing image is in one of them)"""
    report = tmp_path / "r.json"
    r = explore(tmp_path, twin, "trusting", "--domain", "cxl", "--json",
                str(report))
    assert r.returncode == 1, r.stdout + r.stderr
    assert json.loads(report.read_text())["first_failure"][
        "dirty_shutdown"] == 1
    trace = tmp_path / "t.trace"
    pm = tmp_path / "pm2"
    pm.mkdir()
    rec = subprocess.run([PMEMU, "record", "--pmem-dir", str(pm),
                          "--domain", "cxl", "-o", str(trace), "--",
                          twin, str(pm / "pool"), "buggy"],
                         capture_output=True, text=True)
    assert rec.returncode == 0, rec.stderr
    check = "%s %s trusting {pmem}" % (sys.executable,
                                       os.path.join(PROGS, "check_gpf.py"))
    shards = []
    for k in (1, 2):
        out = tmp_path / ("s%d.json" % k)
        subprocess.run([PMEMU, "explore", "--trace", str(trace),
                        "--pmem-dir", str(pm), "--no-explain", "--check",
                        check, "--shard", "%d/2" % k, "--json", str(out)],
                       capture_output=True, text=True)
        shards.append(str(out))
    merged = tmp_path / "m.json"
    m = subprocess.run([PMEMU, "merge", *shards, "-o", str(merged)],
                       capture_output=True, text=True)
    assert m.returncode == 1, m.stdout + m.stderr
    assert json.loads(merged.read_text())["first_failure"][
        "dirty_shutdown"] == 1


def test_relying_on_gpf_with_the_count_passes_on_cxl_only(tmp_path, twin):
    r = explore(tmp_path, twin, "counting", "--strategy", "eviction",
                "--domain", "cxl,adr")
    assert r.returncode == 1, r.stdout + r.stderr
    # on adr no flush persists anything and no count tells it
    assert last_line(r) == "pmemu: passes on cxl, fails on adr"


def test_each_state_says_whether_gpf_failed(tmp_path, twin):
    # the check logs what it saw: PMEMU_DIRTY_SHUTDOWN, data, flag
    pm, log = tmp_path / "pm", tmp_path / "seen"
    pm.mkdir()
    check = ("%s -c \"import os, struct, sys; d, f = struct.unpack_from("
             "'<Q56xQ', open(sys.argv[1], 'rb').read(72)); open(sys.argv[2], "
             "'a').write('%%s %%d %%d\\n' %% (os.environ.get("
             "'PMEMU_DIRTY_SHUTDOWN'), d, f))\" {pmem} %s" %
             (sys.executable, log))
    r = subprocess.run(
        [PMEMU, "explore", "--pmem-dir", str(pm), "--no-explain",
         "--domain", "cxl", "--check", check, "--", twin, str(pm / "pool"),
         "buggy"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    seen = {tuple(line.split()) for line in log.read_text().splitlines()}
    assert ("1", "0", "1") in seen      # GPF failed: the flag alone
    assert ("0", "42", "1") in seen     # GPF succeeded: the view
    # a succeeded GPF never loses a line: flag set => data there
    assert not [s for s in seen if s[0] == "0" and s[2] == "1" and
                s[1] != "42"]
    assert {s[0] for s in seen} == {"0", "1"}


def test_lazy_exploration_refuses_cxl(tmp_path, twin):
    r = explore(tmp_path, twin, "trusting", "--domain", "cxl",
                "--explore", "lazy")
    assert r.returncode == 2
    assert ("pmemu: error: --explore lazy: a trace with a cxl region is "
            "explored eagerly only (--explore eager)") in r.stderr


def test_auto_explores_cxl_eagerly_with_a_note(tmp_path, twin):
    """--explore auto (the default) where eager samples (--max-lines 0):
    lazy would be chosen, but a cxl trace is explored eagerly: a note
    says so, and the bug is found as with --explore eager"""
    r = explore(tmp_path, twin, "trusting", "--domain", "cxl",
                "--strategy", "inflight", "--max-lines", "0")
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("pmemu: note: --explore auto: explored eagerly, though eager "
            "samples some crash points: a trace with a cxl region cannot "
            "be explored lazily") in r.stdout
    assert "flag set, data lost (dirty shutdown: 1)" in r.stdout


def test_run_takes_cxl(tmp_path, twin):
    pm = tmp_path / "pm"
    pm.mkdir()
    r = subprocess.run([PMEMU, "run", "--pmem-dir", str(pm), "--domain",
                        "cxl", "--", twin, str(pm / "pool"), "checked"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "pmemu: no findings" in r.stderr
