"""test_explore_restore.py -- a worker's image after a check damaged the
previous one is exactly the state's image (emulator/explore/image.c,
image_sync.c): checks that scribble over random pages, truncate, extend,
cut and re-extend or replace their image are each followed by a state
whose image digest must equal that of `pmemu replay`'s image of the same
state (built from scratch in a new directory)."""
import hashlib
import json
import os
import random
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")
PROGS = os.path.join(os.path.dirname(__file__), "progs")
LEN = 40000          # 9 pages and a part of one
MEDIA_LEN = 36000    # the rest reads zeros


@pytest.fixture(scope="module")
def scribble(tmp_path_factory):
    out = tmp_path_factory.mktemp("check") / "scribble_check"
    subprocess.run(["cc", "-O1", os.path.join(PROGS, "scribble_check.c"),
                    "-o", str(out)], check=True)
    return str(out)


def trace(tmp_path, rounds):
    """rounds of two stores to lines spread over the pages (the last,
    partial one too), persisted together: states per point with either,
    both or neither; media of random bytes shorter than the region"""
    rnd = random.Random(7)
    media = tmp_path / "pool.img"
    media.write_bytes(bytes(rnd.getrandbits(8) for _ in range(MEDIA_LEN)))
    t = Trace()
    t.region(str(media), LEN)
    lines = LEN // 64
    for r in range(rounds):
        a, b = rnd.randrange(lines) * 64, rnd.randrange(lines) * 64
        t.store(a, rnd.getrandbits(64).to_bytes(8, "little"), site=1)
        t.store(b + 8, rnd.getrandbits(64).to_bytes(8, "little"), site=2)
        t.clwb(a, site=3)
        t.clwb(b, site=3)
        t.sfence(site=4)
    t.end()
    return t.write(tmp_path / "t.trace"), media


def fnv(data):
    h = 0xcbf29ce484222325
    for c in data:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def replayed(tmp_path, tr, state):
    out = tmp_path / ("r-" + hashlib.sha1(state.encode()).hexdigest())
    r = subprocess.run([PMEMU, "replay", "--trace", str(tr), "--state",
                        state, "-o", str(out)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    data = (out / "pool.img").read_bytes()
    return "%d %016x" % (len(data), fnv(data))


@pytest.mark.parametrize("jobs,fork_server", [("1", "off"), ("1", "on"),
                                              ("2", "on")])
def test_every_check_sees_its_states_exact_image(tmp_path, scribble, jobs,
                                                 fork_server):
    """jobs 1: each state's image is the previous check's, restored;
    fork server on: a failing child's image is restored as it was set
    and checked again by exec; jobs 2: that while the explorer moved on"""
    tr, media = trace(tmp_path, 30)
    log = tmp_path / "seen.log"
    report = tmp_path / "r.json"
    r = subprocess.run(
        [PMEMU, "explore", "--trace", str(tr), "--strategy", "all",
         "--crash-points", "all", "--no-explain", "--no-progress",
         "--jobs", jobs, "--fork-server", fork_server, "--check",
         "%s {pmem} %s" % (scribble, log), "--json", str(report)],
        capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    rep = json.loads(report.read_text())
    seen = [ln.split(" ", 1) for ln in log.read_text().splitlines()]
    assert len(seen) >= rep["counts"]["checks"] > 40
    if fork_server == "on":
        assert rep["counts"]["checks_forked"] > 0
        assert len(seen) > rep["counts"]["checks"]  # failures run again
    for state, digest in seen:
        assert digest == replayed(tmp_path, tr, state), state
