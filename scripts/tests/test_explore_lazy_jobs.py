"""test_explore_lazy_jobs.py -- `--explore lazy --jobs N` runs the checks
of several crash points at once (worker processes, each a shard of the
points; docs/explore.md, "Lazy exploration") and reports exactly what
--jobs 1 reports."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")

# fails when line 1 (a flag) arrived without line 0 (its data); reads
# line 0 only when the flag is set: runs branch on the flag, then the data
CHECK = ("[ $(od -An -tu1 -N1 -j64 {pmem}) -eq 0 ] || "
         "[ $(od -An -tu1 -N1 {pmem}) -ne 0 ]")


def records(tmp_path, rounds):
    """`rounds` rounds of data + flag (+ one line of their own) flushed
    under one fence: the flag may arrive without its data (a bug), at
    every crash point after the first round."""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 8192)
    t = Trace()
    t.region(str(media), 8192)
    for i in range(rounds):
        for line in (0, 1, 2 + i):
            t.store(line * 64 + 8 * (i % 8), bytes([i + 1]) * 8,
                    site=10 + line)
            t.clwb(line * 64, site=20)
        t.sfence(site=30)
    t.end()
    return t.write(tmp_path / "records.trace")


def explore(trace, check, jobs, out, *extra, env=None):
    r = subprocess.run([PMEMU, "explore", "--explore", "lazy", "--trace",
                        str(trace), "--strategy", "inflight,eviction",
                        "--crash-at", "flush,fence", "--no-progress",
                        "--jobs", str(jobs), "--check", check, "--json",
                        str(out), *extra], capture_output=True, text=True,
                       env=env)
    assert r.returncode in (0, 1), r.stderr
    return r, json.loads(out.read_text())


def same_but_jobs(rep):
    """the report but what names --jobs"""
    rep = dict(rep)
    rep["notes"] = [n for n in rep["notes"] if not n.startswith("--jobs")]
    rep["options"] = {k: v for k, v in rep["options"].items() if k != "jobs"}
    return rep


def test_the_report_is_the_same_for_any_jobs(tmp_path):
    trace = records(tmp_path, 4)
    r1, one = explore(trace, CHECK, 1, tmp_path / "j1.json")
    assert one["verdict"] == "fail"
    assert one["counts"]["points"] >= 6
    runs = [n for n in one["notes"] if "runs of the check" in n]
    assert runs and "most at one crash point: 1 " not in runs[0], runs
    assert len(one["failures"]) > 1
    for jobs in (2, 3):
        r, rep = explore(trace, CHECK, jobs, tmp_path / ("j%d.json" % jobs))
        assert same_but_jobs(rep) == same_but_jobs(one), jobs
        assert [x for x in r.stdout.splitlines() if "--jobs" not in x] == \
            [x for x in r1.stdout.splitlines() if "--jobs" not in x]


def test_a_user_shard_nests_the_workers_shards(tmp_path):
    """--shard K/N --jobs 2: the workers split the shard, the parent's
    report is the shard's of --jobs 1"""
    trace = records(tmp_path, 4)
    for k in (1, 2):
        _, one = explore(trace, CHECK, 1, tmp_path / ("a%d.json" % k),
                         "--shard", "%d/2" % k)
        _, two = explore(trace, CHECK, 2, tmp_path / ("b%d.json" % k),
                         "--shard", "%d/2" % k)
        assert same_but_jobs(two) == same_but_jobs(one), k


# Each run marks itself running in DIR (by crash point, the number before
# the state id's ':'), then - for the first few runs - waits up to 10 s
# for a run of another crash point to be marked running: it logs the pair
# when it sees one. One process explores one point at a time, so only
# workers running points side by side can make a pair.
OVERLAP = r"""
d=%s; p=${PMEMU_STATE%%%%:*}; me=$d/run.$p.$$
touch $me
if [ $(ls $d/waited.* 2>/dev/null | wc -l) -lt 4 ]; then
  touch $d/waited.$$; i=0
  while [ $i -lt 200 ] && [ ! -s $d/pairs ]; do
    for f in $d/run.*; do
      q=${f#$d/run.}; q=${q%%%%.*}
      [ "$q" != "$p" ] && echo "$p $q" >> $d/pairs
    done
    i=$((i+1)); sleep 0.05
  done
fi
od -An -tu1 -N1 -j64 {pmem} >/dev/null
rm -f $me
"""


def test_runs_of_different_points_are_in_flight_at_once(tmp_path):
    trace = records(tmp_path, 8)
    # both workers' shards have points (the keys fall as they fall)
    for k in (1, 2):
        _, s = explore(trace, "true", 1, tmp_path / ("s%d.json" % k),
                       "--shard", "%d/2" % k)
        assert s["counts"]["states"] > 0, k
    d = tmp_path / "runs"
    d.mkdir()
    _, rep = explore(trace, OVERLAP % d, 2, tmp_path / "o.json",
                     "--timeout", "60")
    assert rep["verdict"] == "pass"
    assert (d / "pairs").exists(), "no runs of two points overlapped"
    pairs = (d / "pairs").read_text().split("\n")
    p, q = pairs[0].split()
    assert p != q


# The first run (of any worker) kills its worker (the child of the
# topmost pmemu above it) with SIGKILL, then checks as CHECK does.
KILL_WORKER = r"""
if mkdir %s/killed 2>/dev/null; then
  p=$$
  while [ $p -gt 1 ]; do
    pp=$(cut -d' ' -f4 /proc/$p/stat)
    ppp=$(cut -d' ' -f4 /proc/$pp/stat)
    [ "$(cat /proc/$pp/comm)" = pmemu ] && \
      [ "$(cat /proc/$ppp/comm)" != pmemu ] && break
    p=$pp
  done
  [ $p -gt 1 ] && kill -9 $p
fi
""" + CHECK


def test_a_worker_killed_leaves_its_points_to_the_explorer(tmp_path):
    trace = records(tmp_path, 4)
    d = tmp_path / "k"
    d.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    _, two = explore(trace, KILL_WORKER % d, 2, tmp_path / "k2.json",
                     env=dict(os.environ, TMPDIR=str(tmp)))
    assert (d / "killed").is_dir()
    assert list(tmp.iterdir()) == []  # nor what the worker left
    # the same check, disarmed (killed/ is there)
    _, one = explore(trace, KILL_WORKER % d, 1, tmp_path / "k1.json")
    assert same_but_jobs(two) == same_but_jobs(one)
    assert one["verdict"] == "fail"
