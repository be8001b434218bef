"""test_explore_dedup.py -- crash points with the durable image and open
lines of an earlier point reuse its states (docs/explore.md, "Crash
states and strategies"): counted at every point, enumerated once."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")

# fails when line 1 reached the media without line 0
CHECK = ("[ $(od -An -tu1 -j64 -N1 {pmem}) -eq 0 ] || "
         "[ $(od -An -tu1 -N1 {pmem}) -ne 0 ]")


def repeated_points(tmp_path):
    """Two dirty lines across two fences that flush nothing (equal points
    before each), then line 0 flushed (its write-back holds what an
    eviction would: a third equal point) and fenced (the end differs)."""
    media = tmp_path / "pool.img"
    media.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(media), 4096)
    t.store(0, b"DATADATA", site=1)
    t.store(64, b"\x01" * 8, site=2)
    t.sfence(site=3)
    t.sfence(site=4)
    t.clwb(0, site=5)
    t.sfence(site=6)
    t.end()
    return t.write(tmp_path / "repeated.trace")


def test_equal_points_share_their_states_and_count_at_each(tmp_path):
    trace = repeated_points(tmp_path)
    out = tmp_path / "r.json"
    r = subprocess.run([PMEMU, "explore", "--trace", str(trace),
                        "--strategy", "eviction", "--no-progress",
                        "--no-explain", "--check", CHECK, "--json", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    rep = json.loads(out.read_text())
    # points 3, 4, 6 (two lines, lost or arrived: 4 states each) and the
    # end (line 1 only: 2 states)
    per_point = {p["point"]: (p["states"], p["failing_states"])
                 for p in rep["points_failing"]}
    assert per_point == {3: (4, 1), 4: (4, 1), 6: (4, 1)}
    assert rep["counts"]["states"] == 14
    assert rep["counts"]["failing_states"] == 3
    # the images of points 4 and 6 are point 3's: checked once
    assert rep["counts"]["checks"] == rep["counts"]["images"]
    notes = [n for n in rep["notes"] if "as an earlier one" in n]
    assert notes == ["2 crash points left the same durable image and "
                     "open lines as an earlier one: their 8 states were "
                     "taken from it, not enumerated again (counted at "
                     "both points, checked once)"]
    assert rep["first_failure"]["point"]["point"] == 3
