"""test_explore_stop.py -- how explore ends early (issue 11.6, 11.10,
12.7): a program that failed is not explored unless
--allow-program-failure; SIGINT/SIGTERM and --time-limit stop the checks,
remove the temporary directories and print the partial report (exit
130/143/3); a check that kills pmemu's runner is an error naming its
state; `record` passes SIGTERM on to the program and keeps its trace.

Tests wait for a condition (a file appearing, lines in a log), never for
a length of time.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BUILD
from test_check_command import alive
from test_shim_run import PROGS, clean_env

DEMO = BUILD / "bin" / "pmemu-demo"


def wait_for(cond, proc):
    while not cond():
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


def images_env(where, tmp, request):
    """TMPDIR=tmp, or no TMPDIR and the images on tmpfs: (env, the
    directory that must be left empty)"""
    if where == "tmpdir":
        return clean_env(TMPDIR=str(tmp)), tmp
    shm = request.getfixturevalue("shm_dir")
    env = clean_env(PMEMU_TMPFS_DIR=str(shm))
    env.pop("TMPDIR", None)
    return env, shm


def start(pmemu_bin, tmp_path, *args, where="tmpdir", request=None):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env, empty = images_env(where, tmp, request)
    p = subprocess.Popen([pmemu_bin, *map(str, args)], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=env)
    p.images = empty
    return p


def pmemu(pmemu_bin, *args):
    return subprocess.run([pmemu_bin, *map(str, args)], capture_output=True,
                          text=True, env=clean_env(),
                          stdin=subprocess.DEVNULL)


def demo_then(pmem, tail):
    return ["sh", "-c", f"{DEMO} append {pmem}/log.pool a b; {tail}"]


def test_a_failed_program_is_not_explored(pmemu_bin, tmp_path):
    for tail, what in (("exit 3", "exited with status 3"),
                       ("kill -SEGV $$", "was killed by signal 11 "
                        "(Segmentation fault)")):
        r = pmemu(pmemu_bin, "explore", "--pmem-dir", tmp_path, "--check",
                  "true {pmem}", "--", *demo_then(tmp_path, tail))
        assert r.returncode == 2, r.stdout
        assert r.stderr.splitlines()[-1] == (
            f"pmemu: error: explore: the program {what}: its trace was "
            "not explored (--allow-program-failure explores it)")
        assert r.stdout == ""


def test_allow_program_failure_reports_the_status(pmemu_bin, tmp_path):
    out = tmp_path / "r.json"
    r = pmemu(pmemu_bin, "explore", "--allow-program-failure", "--json", out,
              "--pmem-dir", tmp_path, "--check", f"{DEMO} check {{pmem}}",
              "--", *demo_then(tmp_path, "exit 3"))
    assert r.returncode == 1, r.stderr
    assert ("pmemu: note: the program exited with status 3 "
            "(--allow-program-failure): its trace was explored as recorded"
            in r.stdout)
    rep = json.loads(out.read_text())
    assert rep["program_exit_status"] == 3 and rep["stopped"] is None
    (tmp_path / "log.pool").unlink()
    r = pmemu(pmemu_bin, "explore", "--json", out, "--pmem-dir", tmp_path,
              "--check", "true {pmem}", "--", DEMO, "append",
              tmp_path / "log.pool", "a", "b")
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["program_exit_status"] == 0


SLOW_CHECK = "echo x >> {log}; sleep {t}.{n} # {{pmem}}"


@pytest.mark.parametrize("where", ["tmpdir", "tmpfs"])
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130),
                                      (signal.SIGTERM, 143)])
def test_a_signal_prints_the_partial_report(pmemu_bin, tmp_path, sig, code,
                                            where, request):
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    log = tmp_path / "checks"
    n = os.getpid() % 1000
    p = start(pmemu_bin, tmp_path, "explore", "--no-progress", "--pmem-dir",
              pmem, "--jobs", 2, "--check",
              SLOW_CHECK.format(log=log, t=3, n=n), "--json",
              tmp_path / "r.json", "--", PROGS / "threads_page",
              pmem / "pool", 50, where=where, request=request)
    wait_for(lambda: log.exists() and
             len(log.read_text().splitlines()) >= 3, p)
    p.send_signal(sig)
    out, err = p.communicate()
    assert p.returncode == code, err
    name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
    assert f"pmemu: interrupted by {name}: " in out
    assert "pmemu: INCOMPLETE: no state failed among those checked" in out
    assert list(p.images.iterdir()) == [], "left behind"
    assert alive(b"3.%d\0" % n) == [], "a check still runs"
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["stopped"] == name and rep["exit_code"] == code
    assert rep["verdict"] == "incomplete"
    assert rep["points_explored"] < rep["counts"]["points"]
    r = pmemu(pmemu_bin, "merge", tmp_path / "r.json")
    assert r.returncode == 2
    assert r.stderr == (f"pmemu: error: merge: {tmp_path / 'r.json'}: this "
                        f"exploration stopped early ({name}): only whole "
                        "shards merge\n")


@pytest.mark.parametrize("where", ["tmpdir", "tmpfs"])
def test_time_limit(pmemu_bin, tmp_path, where, request):
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    env, empty = images_env(where, tmp_path, request)
    r = subprocess.run(
        [pmemu_bin, "explore", "--no-progress", "--time-limit", "0.5",
         "--pmem-dir", pmem, "--json", tmp_path / "r.json", "--check",
         "sleep 0.2 # {pmem}", "--", PROGS / "threads_page", pmem / "pool",
         "50"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=env)
    assert r.returncode == 3, r.stderr
    assert "pmemu: stopped at --time-limit 0.5 s: " in r.stdout
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["stopped"] == "time-limit" and rep["exit_code"] == 3
    assert [p.name for p in empty.iterdir()
            if p.name.startswith("pmemu-")] == []


def test_time_limit_is_a_positive_number(pmemu_bin):
    r = pmemu(pmemu_bin, "explore", "--time-limit", "0", "--check", "true",
              "--trace", "x")
    assert r.returncode == 2
    assert r.stderr == ("pmemu: error: --time-limit 0: expected seconds "
                        "> 0\n")


def test_a_signal_while_recording(pmemu_bin, tmp_path):
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    n = 8000 + os.getpid() % 1000
    p = start(pmemu_bin, tmp_path, "explore", "--pmem-dir", pmem, "--check",
              "true {pmem}", "--", *demo_then(pmem, f"exec sleep {n}"))
    wait_for(lambda: alive(b"sleep\0%d\0" % n), p)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate()
    assert p.returncode == 143, err
    assert err.splitlines()[-1] == ("pmemu: interrupted by SIGTERM while "
                                    "recording the program: nothing was "
                                    "explored")
    assert list(p.images.iterdir()) == [], "left behind"
    assert alive(b"sleep\0%d\0" % n) == []


def test_record_passes_sigterm_on(pmemu_bin, tmp_path):
    n = 8000 + os.getpid() % 1000
    trace = tmp_path / "t.trace"
    p = start(pmemu_bin, tmp_path, "record", "-o", trace, "--pmem-dir",
              tmp_path, "--", *demo_then(tmp_path, f"exec sleep {n}"))
    wait_for(lambda: alive(b"sleep\0%d\0" % n), p)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate()
    assert p.returncode == 143, err
    assert "(the program was killed; the trace ends there)" in err
    assert alive(b"sleep\0%d\0" % n) == []
    r = pmemu(pmemu_bin, "explore", "--trace", trace, "--check",
              f"{DEMO} check {{pmem}}")
    assert r.returncode == 1, r.stdout + r.stderr


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_a_check_that_kills_the_runner_names_its_state(pmemu_bin, tmp_path,
                                                       mode):
    r = pmemu(pmemu_bin, "explore", "--explore", mode, "--pmem-dir",
              tmp_path, "--check",
              "kill -9 $PPID # {pmem}", "--", DEMO, "append",
              tmp_path / "log.pool", "a", "b")
    assert r.returncode == 2, r.stdout
    last = r.stderr.splitlines()[-1]
    assert last.startswith("pmemu: error: the check of state "), r.stderr
    assert last.endswith(" killed pmemu's check runner (signal 9): a check "
                         "must not signal its parent process")


def test_failures_found_before_a_signal_are_reported(pmemu_bin, tmp_path):
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    log = tmp_path / "checks"
    log.write_text("")
    n = os.getpid() % 1000
    # the first two checks fail at once, the others take long
    check = (f"n=$(wc -l < {log}); echo x >> {log}; "
             f"[ $n -lt 2 ] && exit 1; sleep 4.{n} # {{pmem}}")
    p = start(pmemu_bin, tmp_path, "explore", "--no-progress", "--pmem-dir",
              pmem, "--jobs", 2, "--check", check, "--", PROGS /
              "threads_page", pmem / "pool", 50)
    wait_for(lambda: len(log.read_text().splitlines()) >= 4, p)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate()
    assert p.returncode == 130, err
    assert "pmemu: interrupted by SIGINT: " in out
    # two checks in parallel may both count fewer than 2 lines: 2 or 3
    assert re.search(r"^pmemu: FAIL: [23] of \d+ states", out, re.M), out
    assert "rebuild the image: pmemu replay" in out
    left = [d.name for d in (tmp_path / "tmp").iterdir()]
    assert len(left) == 1 and left[0].startswith("pmemu-record."), left
    assert "the recording is kept in" in err
    assert alive(b"4.%d\0" % n) == [], "a check still runs"


def test_the_program_gets_default_signal_dispositions(pmemu_bin, tmp_path):
    """explore ignores SIGPIPE and catches SIGINT/SIGTERM for itself; the
    program it records must not inherit any of that"""
    r = pmemu(pmemu_bin, "explore", "--pmem-dir", tmp_path, "--check",
              "true {pmem}", "--", *demo_then(
                  tmp_path, "grep SigIgn /proc/self/status"))
    assert r.returncode == 0, r.stderr
    assert "SigIgn:\t0000000000000000" in r.stdout
