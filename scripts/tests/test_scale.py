"""test_scale.py -- docs/scale.md on this machine: four `--shard K/4`
workers run by GNU parallel, joined by `pmemu merge`, equal the unsharded
report."""
import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")

# fails when line 1 (a flag) arrived without line 0 (its data)
CHECK = ("[ $(od -An -tu1 -j64 -N1 {pmem}) -eq 0 ] || "
         "[ $(od -An -tu1 -N1 {pmem}) -ne 0 ]")


def unordered_records(tmp_path):
    """Three rounds of data + flag flushed under one fence: the flag may
    arrive without its data (a bug), over several crash points."""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(media), 4096)
    for i in range(3):
        for line in (0, 1, 2 + i):
            t.store(line * 64 + 8 * i, bytes([i + 1]) * 8, site=10 + line)
            t.clwb(line * 64, site=20)
        t.sfence(site=30)
    t.end()
    return t.write(tmp_path / "records.trace")


def explore(trace, *extra):
    return [PMEMU, "explore", "--trace", str(trace), "--strategy",
            "inflight,eviction", "--check", CHECK, "--no-progress", *extra]


@pytest.mark.skipif(shutil.which("parallel") is None,
                    reason="GNU parallel is not installed (Debian: parallel)")
def test_four_shards_through_gnu_parallel_merge_to_the_unsharded(tmp_path):
    trace = unordered_records(tmp_path)
    full = tmp_path / "full.json"
    r = subprocess.run(explore(trace, "--explore", "eager", "--json",
                               str(full)), capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    a = json.loads(full.read_text())
    b, shards = run_shards(tmp_path, trace, "--explore", "eager")
    assert a["counts"]["images"] > 4
    for key in ("verdict", "exit_code", "counts", "points_failing",
                "failures", "first_failure"):
        assert a[key] == b[key], key
    assert sorted(s["k"] for s in b["shards"]) == [1, 2, 3, 4]
    assert sum(s["counts"]["checks"] for s in shards) == a["counts"]["checks"]


def run_shards(tmp_path, trace, *extra):
    """--shard K/4 for K = 1..4 through GNU parallel, merged: the merged
    report and the shard reports"""
    # -q: parallel passes each word as is (the check holds quotes)
    r = subprocess.run(["parallel", "--will-cite", "-q", "-j", "2",
                        *explore(trace, *extra, "--jobs", "1", "--shard",
                                 "{}/4", "--json",
                                 str(tmp_path / "shard-{}.json")),
                        ":::", "1", "2", "3", "4"],
                       capture_output=True, text=True)
    # parallel's exit status is the number of failed jobs: some shards
    # hold a failing image (exit 1), none may be a usage error (exit 2)
    assert 0 < r.returncode <= 4, r.stderr
    shards = [str(tmp_path / ("shard-%d.json" % k)) for k in (1, 2, 3, 4)]
    merged = tmp_path / "merged.json"
    r = subprocess.run([PMEMU, "merge", "-o", str(merged), *shards],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    return (json.loads(merged.read_text()),
            [json.loads(open(s).read()) for s in shards])


@pytest.mark.skipif(shutil.which("parallel") is None,
                    reason="GNU parallel is not installed (Debian: parallel)")
def test_lazy_shards_take_whole_crash_points_and_merge_to_the_unsharded(
        tmp_path):
    trace = unordered_records(tmp_path)
    full = tmp_path / "full.json"
    r = subprocess.run(explore(trace, "--explore", "lazy", "--json",
                               str(full)), capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    a = json.loads(full.read_text())
    b, shards = run_shards(tmp_path, trace, "--explore", "lazy")
    assert not any("fell back" in n or "eagerly" in n
                   for s in shards for n in s["notes"])
    for key in ("verdict", "exit_code", "points_failing", "failures",
                "first_failure"):
        assert a[key] == b[key], key
    for key in ("points", "states", "failing_states", "failing_images"):
        assert a["counts"][key] == b["counts"][key], key
    # every crash point runs in exactly one shard: the states add up;
    # an image two points share is checked once per shard that has one
    assert sum(s["counts"]["states"] for s in shards) == a["counts"]["states"]
    assert b["counts"]["checks"] >= a["counts"]["checks"]
    assert sum(1 for s in shards if s["counts"]["states"]) > 1
