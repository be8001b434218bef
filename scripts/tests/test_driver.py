"""test_driver.py -- the Python driver (scripts/pmemu): parsing, the CLI
mapping and errors against a fake pmemu, then end to end on the demo."""
import json
import os
import pathlib
import stat
import subprocess
import sys
import textwrap

import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCRIPTS))
import pmemu  # noqa: E402
from pmemu import results  # noqa: E402

SITE = {"id": 3, "frames": [
    {"function": "log_append", "file": "/src/demo_log.c", "line": 47,
     "module": "/b/pmemu-demo", "offset": "0x1a2b"},
    {"function": "main", "file": "/src/demo_log.c", "line": 79}]}
FAIL_REPORT = {
    "report": "pmemu-explore", "schema_version": 1, "trace": "/t/run.trace",
    "trace_truncated": False, "verdict": "fail", "exit_code": 1,
    "options": {"strategy": ["inflight"]}, "regions": [],
    "counts": {"points_total": 5, "points": 5, "states": 12, "images": 4,
               "checks": 6, "failing_states": 3, "failing_images": 1,
               "timeouts": 0, "crashes": 0, "future_count": 9},
    "notes": ["a note"],
    "points_failing": [{"point": 10, "event": "sfence", "record": 9,
                        "site": SITE, "folded": 1, "states": 3,
                        "failing_states": 1}],
    "first_failure": {
        "state": "10:0.40=w1", "ordinal": 4,
        "point": {"point": 10, "event": "sfence", "record": 9, "site": SITE},
        "markers": ["begin"], "result": {"kind": "exit", "code": 1,
                                         "signal": None},
        "states_same_image": 3,
        "explanation": {"status": "minimal", "checks": 2, "lines": [
            {"region": 0, "file": "log.pool", "off": "0x40", "len": 64,
             "reason": "never-flushed", "flush_site": None,
             "store_site": {"id": 4, "frames": [
                 {"function": "log_append", "file": "/src/demo_log.c",
                  "line": 45}]}}]}},
    "failures": [{"state": "10:0.40=w1", "ordinal": 4, "point": 10,
                  "states": 3, "result": {"kind": "exit", "code": 1}}],
    "failures_truncated": False, "shards": [{"k": 1, "n": 1}],
    "a_field_from_the_future": True,
}


def test_explore_report_is_typed():
    rep = pmemu.parse_explore_report(json.dumps(FAIL_REPORT))
    assert not rep.passed and rep.exit_code == 1
    assert rep.counts.states == 12 and rep.counts.failing_images == 1
    ff = rep.first_failure
    assert ff.state == "10:0.40=w1" and ff.markers == ("begin",)
    assert ff.point.site.top.where == "demo_log.c:47"
    line = ff.explanation.lines[0]
    assert (line.off, line.reason) == (0x40, "never-flushed")
    assert ff.names("demo_log.c", 45) and ff.names("/x/demo_log.c", 47)
    assert not ff.names("demo_log.c", 46)
    assert rep.points_failing[0].failing_states == 1
    assert rep.failures[0].result.code == 1


def test_explain_has_state_and_replay_command():
    rep = pmemu.parse_explore_report(FAIL_REPORT)
    text = rep.explain()
    assert "10:0.40=w1" in text
    assert ("pmemu replay --trace /t/run.trace --state 10:0.40=w1 "
            "-o crash-image") in text
    assert "demo_log.c:45" in text and "never-flushed" in text
    rep.text = "pmemu: FAIL: what pmemu printed\n"
    assert rep.explain().startswith("pmemu: FAIL: what pmemu printed")
    with pytest.raises(AssertionError, match="10:0.40=w1"):
        rep.assert_consistent()


def test_not_an_explore_report():
    with pytest.raises(pmemu.PmemuError, match="not a pmemu explore"):
        pmemu.parse_explore_report('{"report": "pmemu-run"}')


RUN_TEXT = """\
pmemu: unpersisted stores: 2 stores from 1 site not durable at exit
[0] 2 stores, 1 line, first at pool.img+0x1040
      at list_insert (list.c:23)
      by main (list.c:34)
pmemu: missing fence: 1 flush from 1 site with no later fence in their thread at crash point 'commit'
[1] 1 flush, 1 line, first at pool.img+0x40
      at ??? (libgone.so+0x10, no debug info)
pmemu: flush outside pmem: 1 flush from 1 site of addresses in no emulated region
[2] 1 flush
      (no call site recorded)
pmemu: 3 findings in 3 classes; exit 1 (--error-exitcode=1)
"""


def test_run_text_findings():
    f = pmemu.parse_run_text(RUN_TEXT)
    assert [x.kind for x in f] == ["unpersisted", "no_fence",
                                   "flush_outside"]
    assert (f[0].count, f[0].lines, f[0].region, f[0].offset) == \
        (2, 1, "pool.img", 0x1040)
    assert f[0].names("list.c", 23) and f[0].when == "at exit"
    assert f[1].when == "at crash point 'commit'"
    assert f[1].frames[0].module == "libgone.so"
    assert f[1].frames[0].offset == 0x10 and f[2].frames == ()
    assert pmemu.parse_run_text("pmemu: no findings\n") == []


def test_command_line_mapping():
    assert pmemu.command_line({"strategy": ["inflight", "torn"], "jobs": 2,
                               "no_explain": True, "from_": None,
                               "quiet": False, "crash_at": "fence"}) == \
        ["--strategy=inflight,torn", "--jobs=2", "--no-explain",
         "--crash-at=fence"]


FAKE = """\
#!{python}
import json, sys
args = sys.argv[1:]
open({log!r}, "a").write(json.dumps(args) + "\\n")
if "--jobs=0" in args:
    sys.stderr.write("pmemu: error: --jobs 0: expected a number of at least 1\\n")
    sys.exit(2)
if args[0] == "explore":
    out = [a.split("=", 1)[1] for a in args if a.startswith("--json=")][0]
    rep = json.loads({report!r})
    json.dump(rep, open(out, "w"))
    print("pmemu: FAIL: from the fake")
    sys.exit(rep["exit_code"])
if args[0] == "record":
    open(args[args.index("-o") + 1], "w").write("trace")
sys.exit(0)
"""


@pytest.fixture
def fake(tmp_path):
    log = tmp_path / "calls.log"
    exe = tmp_path / "pmemu"
    exe.write_text(FAKE.format(python=sys.executable, log=str(log),
                               report=json.dumps(FAIL_REPORT)))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    calls = lambda: [json.loads(x) for x in log.read_text().splitlines()]
    return str(exe), calls


def test_explore_through_fake_cli(fake, tmp_path):
    exe, calls = fake
    rep = pmemu.explore(["./prog", "a b"], check="./chk {pmem}",
                        strategy="all", jobs=2, shard=(1, 3), pmemu=exe)
    assert rep.verdict == "fail" and rep.text == "pmemu: FAIL: from the fake\n"
    args = calls()[-1]
    assert args[:3] == ["explore", "--check", "./chk {pmem}"]
    assert "--strategy=all" in args and "--shard=1/3" in args
    assert args[-3:] == ["--", "./prog", "a b"]


def test_explore_records_first_when_asked(fake, tmp_path):
    exe, calls = fake
    trace = tmp_path / "kept.trace"
    pmemu.explore("./prog x", check="c", record_to=trace, pmem_dir="/pm",
                  domain="pagecache", pmemu=exe)
    rec, exp = calls()
    assert rec[:3] == ["record", "-o", str(trace)]
    assert "--pmem-dir=/pm" in rec and "--domain=pagecache" in rec
    assert exp[-2:] == ["--trace", str(trace)]
    assert not any(a.startswith("--domain") for a in exp)


def test_usage_error_carries_pmemus_line(fake):
    exe, _ = fake
    with pytest.raises(pmemu.PmemuUsageError) as e:
        pmemu.explore("./p", check="c", jobs=0, pmemu=exe)
    assert str(e.value) == ("pmemu: error: --jobs 0: expected a number of "
                            "at least 1")
    assert e.value.returncode == 2


def test_python_m_pmemu_mirrors_the_cli(fake):
    exe, calls = fake
    env = dict(os.environ, PMEMU=exe, PYTHONPATH=str(SCRIPTS))
    r = subprocess.run([sys.executable, "-m", "pmemu", "replay", "--state",
                        "7"], env=env, capture_output=True, text=True)
    assert r.returncode == 0
    assert calls()[-1] == ["replay", "--state", "7"]
    env["PMEMU"] = "/nonexistent/pmemu"
    r = subprocess.run([sys.executable, "-m", "pmemu", "list"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("pmemu: error:")


# ---------------------------------------------------------------- real pmemu

@pytest.fixture
def demo(pmemu_bin, build_dir):
    path = pathlib.Path(build_dir) / "bin" / "pmemu-demo"
    if not path.exists():
        pytest.fail(f"{path} is not built")
    return str(path)


def test_real_usage_error(pmemu_bin):
    with pytest.raises(pmemu.PmemuUsageError, match=r"^pmemu: error: .*"):
        pmemu.explore("true", check="true", strategy="sideways",
                      pmemu=pmemu_bin)


def test_real_run_finds_the_demos_unflushed_entry(pmemu_bin, demo, tmp_path):
    r = pmemu.run([demo, "append", tmp_path / "log.pool", "hi"],
                  pmem_dir=tmp_path, pmemu=pmemu_bin)
    assert r.returncode == 0
    unpersisted = r.of_kind("unpersisted")
    assert unpersisted, r.report
    assert any(f.names("demo_log.c", 47) for f in unpersisted), r.report


def test_real_explore_and_replay(pmemu_bin, demo, tmp_path):
    pm = tmp_path / "pm"
    pm.mkdir()
    trace = tmp_path / "demo.trace"
    rep = pmemu.explore([demo, "append", pm / "log.pool", "hi", "there"],
                        check=f"{demo} check {{pmem}}", record_to=trace,
                        pmem_dir=pm, jobs=2, pmemu=pmemu_bin)
    assert not rep.passed, rep.text
    assert rep.trace == str(trace)
    out = pmemu.replay(trace, rep.first_failure.state, tmp_path / "img",
                       pmemu=pmemu_bin)
    image = out / "log.pool"
    assert image.exists()
    r = subprocess.run([demo, "check", str(image)], capture_output=True)
    assert r.returncode == 1, "the replayed image must fail the check too"


PLUGIN_TEST = """\
import pytest

@pytest.mark.crash_consistency(check="{demo} check {{pmem}}", jobs=2)
def test_demo_log(pmemu, pmem):
    pmemu.check(["{demo}", "append", pmem / "log.pool", "a", "b"])
"""


def test_plugin_failure_message(pmemu_bin, demo, tmp_path):
    t = tmp_path / "test_demo.py"
    t.write_text(PLUGIN_TEST.format(demo=demo))
    env = dict(os.environ, PMEMU=pmemu_bin, PYTHONPATH=str(SCRIPTS))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                        "no:cacheprovider", "-p", "pmemu.pytest_plugin",
                        str(t)], env=env, capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "CrashConsistencyError" in r.stdout
    assert "failing state: " in r.stdout
    assert "rebuild it: pmemu replay --trace " in r.stdout
    assert "demo_log.c:" in r.stdout
