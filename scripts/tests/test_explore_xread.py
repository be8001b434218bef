"""test_explore_xread.py -- `--explore lazy` reports reads by the check
(the recovery) of data that was not durable at the crash and did not
change its verdict (docs/explore.md, "Reads of data that was not
durable"); `--error-on-unpersisted-read` makes them fail the run.
progs/xread.c is the program and its recovery check."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_explore_programs import (PMEMU, build_progs,  # noqa: E402
                                   explore_program, record_missing)

pytestmark = pytest.mark.skipif(record_missing() is not None,
                                reason=str(record_missing()))


@pytest.fixture(scope="module")
def xread(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"), ("xread",))["xread"]


def explore(tmp_path, exe, mode, how, *extra):
    """the program run in `mode`, explored lazily with its check reading
    (how=read) or resetting the field's line first (how=write: a store,
    pwrite: pwrite)"""
    r, rep = explore_program(
        tmp_path, [exe, "{pm}/pool", mode], "%s check {pmem} %s" % (exe, how),
        "--explore", "lazy", "--strategy", "all", "--no-progress", *extra)
    assert r.returncode in (0, 1), r.stderr
    return r, rep


def test_a_read_of_a_never_flushed_field_is_a_warning(tmp_path, xread):
    r, rep = explore(tmp_path, xread, "unflushed", "read")
    assert r.returncode == 0 and rep["verdict"] == "pass", r.stdout
    assert rep["unpersisted_reads_fail"] is False
    [x] = rep["unpersisted_reads"]
    # the read: the check's printf of the field; the line: the field's
    assert x["read_at"].startswith("check (xread.c:")
    assert x["line"]["off"] == "0x1000"
    assert x["line"]["reason"] == "never-flushed"
    store = x["line"]["store_site"]["frames"][0]
    assert store["function"] == "main"
    assert store["file"].endswith("xread.c")
    assert ("pmemu: warning: recovery read data that was not durable "
            "at the crash") in r.stdout
    assert "read at check (xread.c:" in r.stdout
    assert "pmemu: PASS" in r.stdout


def test_error_on_unpersisted_read_fails_the_run(tmp_path, xread):
    r, rep = explore(tmp_path, xread, "unflushed", "read",
                     "--error-on-unpersisted-read")
    assert r.returncode == 1, r.stdout
    assert rep["verdict"] == "fail" and rep["exit_code"] == 1
    assert rep["unpersisted_reads_fail"] is True
    assert len(rep["unpersisted_reads"]) == 1
    assert rep["counts"]["failing_states"] == 0
    assert "pmemu: FAIL: every state passed the check, but" in r.stdout


def test_the_flushed_twin_has_no_warning(tmp_path, xread):
    r, rep = explore(tmp_path, xread, "flushed", "read",
                     "--error-on-unpersisted-read")
    assert r.returncode == 0, r.stdout
    assert rep["unpersisted_reads"] == []
    assert "not durable at the crash" not in r.stdout


def test_a_read_the_verdict_depends_on_is_a_failure_not_a_warning(
        tmp_path, xread):
    r, rep = explore(tmp_path, xread, "unflushed", "strict")
    assert r.returncode == 1 and rep["verdict"] == "fail", r.stdout
    assert rep["first_failure"]["explanation"]["lines"][0]["off"] == \
        "0x1000"
    assert rep["unpersisted_reads"] == []
    assert "not durable at the crash" not in r.stdout


@pytest.mark.parametrize("how", ["write", "pwrite"])
def test_a_line_the_recovery_writes_first_is_not_reported(tmp_path, xread,
                                                          how):
    r, rep = explore(tmp_path, xread, "unflushed", how,
                     "--error-on-unpersisted-read")
    assert r.returncode == 0, r.stdout
    assert rep["unpersisted_reads"] == []


def test_lazy_shards_merge_to_the_unsharded_unpersisted_reads(tmp_path,
                                                              xread):
    pm = tmp_path / "pm"
    pm.mkdir()
    trace = tmp_path / "t.trace"
    subprocess.run([PMEMU, "record", "-o", str(trace), "--pmem-dir",
                    str(pm), "--", xread, str(pm / "pool"), "unflushed"],
                   check=True, capture_output=True)

    def explore_trace(json_path, *extra):
        r = subprocess.run(
            [PMEMU, "explore", "--explore", "lazy", "--strategy", "all",
             "--no-progress", "--error-on-unpersisted-read", "--trace",
             str(trace), "--check", "%s check {pmem} read" % xread,
             "--json", str(json_path), *extra],
            capture_output=True, text=True)
        # the unsharded run fails; a shard without the read passes
        assert r.returncode == 1 or (extra and r.returncode == 0), \
            r.stdout + r.stderr
        return json_path

    full = json.loads(explore_trace(tmp_path / "full.json").read_text())
    shards = [str(explore_trace(tmp_path / ("s%d.json" % k), "--shard",
                                "%d/3" % k)) for k in (1, 2, 3)]
    merged = tmp_path / "merged.json"
    r = subprocess.run([PMEMU, "merge", "-o", str(merged), *shards],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    rep = json.loads(merged.read_text())
    assert rep["unpersisted_reads"] == full["unpersisted_reads"] != []
    assert rep["unpersisted_reads_fail"] is True
    assert rep["verdict"] == "fail"
    assert "recovery read data that was not durable" in r.stdout + r.stderr
