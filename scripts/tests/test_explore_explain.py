"""test_explore_explain.py -- what the minimal explanation names
(docs/explore.md, "The report"): a torn store, the program's stores before
a library's, stores that reached the media too early, and lines whose
content pmemu does not know."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")


def pmemu(*args):
    return subprocess.run([PMEMU, *map(str, args)], capture_output=True,
                          text=True)


def new_trace(tmp_path, sites):
    """A trace over a zeroed 4 KiB pool; sites: {id: (file, func, line)}."""
    pool = tmp_path / "pool.img"
    pool.write_bytes(b"\0" * 4096)
    t = Trace()
    t.region(str(pool), 4096)
    for site, (file, func, line) in sites.items():
        t.site_src(site, file, func, line)
    return t


def check(tmp_path, body):
    """A check script: b is the image's bytes, markers the markers passed;
    the body's value is True when the image is consistent."""
    path = tmp_path / "check.py"
    path.write_text("import os, sys\n"
                    "b = open(sys.argv[1], 'rb').read()\n"
                    "markers = os.environ.get('PMEMU_MARKERS', '')\n"
                    f"sys.exit(0 if ({body}) else 1)\n")
    return f"{sys.executable} {path} {{pmem}}"


def explore(tmp_path, trace, chk, *opts):
    out = tmp_path / "r.json"
    r = pmemu("explore", "--trace", trace, "--check", chk, "--json", out,
              "--jobs", "1", *opts)
    assert r.returncode == 1, r.stdout + r.stderr
    rep = json.loads(out.read_text())
    return rep["first_failure"]["explanation"], r.stdout, out


def torn_descriptor(tmp_path):
    """Line 0: an 8-byte store, then a 16-byte descriptor in one store."""
    t = new_trace(tmp_path, {3: ("desc.c", "init", 70),
                             5: ("desc.c", "publish", 80)})
    t.store(32, b"B" * 8, site=3)
    t.store(0, b"A" * 16, site=5)
    t.clwb(0, site=6)
    t.sfence(site=6)
    t.end()
    return t.write(tmp_path / "torn.trace")


@pytest.mark.parametrize("strategy", ["torn", "all"])
def test_a_torn_store_is_named(tmp_path, strategy):
    chk = check(tmp_path, "b[0:8] == b[8:16]")
    expl, text, _ = explore(tmp_path, torn_descriptor(tmp_path), chk,
                            "--strategy", strategy)
    assert expl["status"] == "minimal"
    [line] = expl["lines"]
    assert line["reason"] == "torn"
    assert line["piece_len"] == 8
    assert line["torn_pieces"] in ("0x1", "0x2")
    # the torn store, not the earlier one that arrived whole
    assert line["store_site"]["id"] == 5
    assert [s["id"] for s in line["stores"]] == [5]
    assert "torn: the store below reached the media in part" in text
    assert "publish (desc.c:80)" in text


def test_the_programs_stores_come_before_a_librarys(tmp_path):
    t = new_trace(tmp_path, {8: ("prog.c", "put", 41),
                             9: ("prog.c", "commit", 50)})
    t.event("store", 0, 8, None, site=7)        # untraced, no symbols
    t.event("snapshot", 0, 64, b"L" * 8 + b"\0" * 56)
    t.store(8, b"P" * 8, site=8)
    t.store(64, b"\1" + b"\0" * 7, site=9)
    t.clwb(64, site=9)
    t.sfence(site=9)
    t.end()
    trace = t.write(tmp_path / "lib.trace")
    chk = check(tmp_path, "b[64] == 0 or b[8:16] == b'P' * 8")
    expl, text, _ = explore(tmp_path, trace, chk)
    assert expl["status"] == "minimal"
    [line] = expl["lines"]
    assert line["reason"] == "never-flushed"
    assert line["store_site"]["id"] == 8
    assert [s["id"] for s in line["stores"]] == [8, 7]
    assert "stored at put (prog.c:41)" in text
    assert "also stored by site 7" in text


def test_stores_that_arrived_too_early_are_named(tmp_path):
    """An update in place: the new record alone on the media is wrong."""
    t = new_trace(tmp_path, {11: ("rec.c", "update", 52),
                             12: ("rec.c", "header", 58)})
    for off, val in ((0, b"A" * 8), (64, b"\1" + b"\0" * 7)):
        t.store(off, val, site=12)
        t.clwb(off, site=12)
        t.sfence(site=12)
    t.store(0, b"B" * 8, site=11)
    t.sfence(site=13)
    t.store(64, b"\2" + b"\0" * 7, site=12)
    t.clwb(0, site=12)
    t.clwb(64, site=12)
    t.sfence(site=12)
    t.end()
    trace = t.write(tmp_path / "early.trace")
    chk = check(tmp_path, "b[0:8] != b'B' * 8 or b[64] == 2")
    expl, text, _ = explore(tmp_path, trace, chk, "--strategy", "eviction")
    assert expl["status"] == "minimal-persisted"
    [line] = expl["lines"]
    assert (line["off"], line["reason"]) == ("0x0", "persisted-early")
    assert line["store_site"]["id"] == 11
    assert "passes with every open line lost" in text
    assert "update (rec.c:52)" in text


def unknown_line(tmp_path):
    t = new_trace(tmp_path, {})
    t.event("store", 0, 8, None, site=7)        # untraced, never seen
    t.marker("after")
    t.end()
    return t.write(tmp_path / "unknown.trace")


def test_lines_of_unknown_content_are_said_plainly(tmp_path):
    chk = check(tmp_path, "'after' not in markers or b[0:8] == b'U' * 8")
    expl, text, out = explore(tmp_path, unknown_line(tmp_path), chk)
    assert expl["status"] == "fails-when-persisted"
    assert expl["unknown_lines"] == 1
    [line] = expl["lines"]
    assert (line["off"], line["reason"]) == ("0x0", "content-unknown")
    assert line["store_site"]["id"] == 7
    assert "1 line holds stores pmemu did not trace" in text
    assert "GCC plugin" in text
    assert "not explained" not in text
    # the fields survive pmemu merge
    merged = out.parent / "merged.json"
    assert pmemu("merge", "-o", merged, out).returncode == 1
    m = json.loads(merged.read_text())["first_failure"]["explanation"]
    assert m == expl


def test_a_failure_no_line_explains_says_so(tmp_path):
    t = new_trace(tmp_path, {})
    t.store(0, b"A" * 8, site=1)
    t.clwb(0, site=1)
    t.sfence(site=1)
    t.marker("after")
    t.end()
    trace = t.write(tmp_path / "none.trace")
    chk = check(tmp_path, "'after' not in markers")
    expl, text, _ = explore(tmp_path, trace, chk)
    assert expl["status"] == "fails-when-persisted"
    assert expl["lines"] == [] and expl["unknown_lines"] == 0
    assert "no lost line explains it" in text
