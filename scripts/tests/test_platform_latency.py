"""test_platform_latency.py -- --latency / PMEMU_LATENCY: the shim
busy-waits at each flushed line and each fence (after flushes) on emulated
pmem, and its note says what it injected (issue 13, item 6). progs/commit.c
"right" persists two lines, one pmem_persist (flush + fence) each."""
import os
import re
import subprocess

import pytest

from test_explore_programs import PMEMU, build_progs

NOTE = re.compile(r"pmemu: note: latency \(--latency flush=(\d+),fence=(\d+)"
                  r"\): (\d+) flushed lines and (\d+) fences on emulated "
                  r"pmem, (\d+) ns injected, (\d+) ns busy-waited")


@pytest.fixture(scope="module")
def commit(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("commit",))["commit"]


@pytest.fixture(scope="module")
def idle_fences(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("idle_fences",))["idle_fences"]


def run(tmp_path, exe, *opts, env=None):
    pm = tmp_path / "pm"
    pm.mkdir(exist_ok=True)
    return subprocess.run([PMEMU, "run", "--pmem-dir", str(pm), *opts, "--",
                           exe, str(pm / "pool"), "right"],
                          capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def test_each_flushed_line_and_fence_waits(tmp_path, commit):
    r = run(tmp_path, commit, "--latency", "flush=20000,fence=50000")
    assert r.returncode == 0, r.stderr
    m = NOTE.search(r.stderr)
    assert m, r.stderr
    flush, fence, lines, fences, injected, spun = map(int, m.groups())
    assert (flush, fence, lines, fences) == (20000, 50000, 2, 2)
    assert injected == 2 * 20000 + 2 * 50000
    assert spun >= injected  # the shim burnt at least that much


def test_a_fence_with_nothing_flushed_does_not_wait(tmp_path, idle_fences):
    r = run(tmp_path, idle_fences, "--latency", "fence=1000")
    m = NOTE.search(r.stderr)
    assert m, r.stderr
    assert m.group(3, 4, 5) == ("1", "1", "1000")


def test_optane_preset_and_the_variable(tmp_path, commit):
    r = run(tmp_path, commit, env={"PMEMU_LATENCY": "optane"})
    m = NOTE.search(r.stderr)
    assert m, r.stderr
    assert m.group(1, 2, 3, 4) == ("30", "90", "2", "2")


def test_off_by_default(tmp_path, commit):
    r = run(tmp_path, commit)
    assert r.returncode == 0, r.stderr
    assert "latency" not in r.stderr


@pytest.mark.parametrize("value", ["flush=x", "flush=1000001", "wait=5",
                                   "flush=5,", ""])
def test_bad_value_is_one_line(tmp_path, commit, value):
    r = run(tmp_path, commit, "--latency", value)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "pmemu: error: --latency / PMEMU_LATENCY='%s': expected optane or "
        "flush=NS,fence=NS (0 to 1000000)" % value]
    assert not (tmp_path / "pm" / "pool").exists()
