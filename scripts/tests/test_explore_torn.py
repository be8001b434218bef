"""test_explore_torn.py -- `--strategy all` (torn included) on wide stores:
a list whose header is zeroed with one wide store over zeros (issue 15: it
never finished) and a 4 KiB copy over different bytes (bounded, with a
note saying how many combinations were not explored). Programs in
scripts/tests/progs/, built with the GCC plugin when it is built; each is
its own checker (mode c)."""
import json
import os
import re
import subprocess

import pytest

from test_explore_programs import build_progs

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(HERE, "progs")
PMEMU = os.environ.get("PMEMU", "pmemu")


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"), ("list", "copy4k"))


def explore(tmp_path, exe, mode, media, *options):
    """pmemu explore --strategy all of `exe mode pm/media`, checked by
    `exe c {pmem}`; media is created 2 MiB when it names the list"""
    pm = tmp_path / "pm"
    pm.mkdir()
    if media == "list":
        with open(pm / media, "wb") as f:
            f.truncate(2 << 20)
    report = tmp_path / "r.json"
    r = subprocess.run(
        [PMEMU, "explore", "--pmem-dir", str(pm), "--strategy", "all",
         "--no-progress", *options, "--check", exe + " c {pmem}",
         "--json", str(report), "--", exe, mode, str(pm / media)],
        capture_output=True, text=True)
    rep = json.loads(report.read_text()) if report.exists() else None
    return r, rep


def planted_line(name, bug):
    with open(os.path.join(PROGS, name)) as f:
        hits = [i for i, ln in enumerate(f, 1)
                if re.search(r"/\* PLANTED: " + bug, ln)]
    assert len(hits) == 1
    return hits[0]


def test_list_with_a_wide_zeroing_store_passes_every_strategy(tmp_path,
                                                              progs):
    r, rep = explore(tmp_path, progs["list"], "g", "list")
    assert r.returncode == 0, r.stdout + r.stderr
    assert rep["verdict"] == "pass"
    # zeros over zeros tears nothing: every state explored, none left out
    assert rep["counts"]["points_bounded"] == 0
    assert rep["counts"]["states_left_out"] == 0
    assert rep["counts"]["states"] > 0


def test_list_linked_before_its_value_fails_naming_the_link(tmp_path,
                                                            progs):
    r, rep = explore(tmp_path, progs["list"], "b", "list")
    assert r.returncode == 1, r.stdout + r.stderr
    line = planted_line("list.c", "link-before-value")
    frames = [x["store_site"]["frames"][0]
              for x in rep["first_failure"]["explanation"]["lines"]]
    assert any(f["file"].endswith("list.c") and f["line"] == line
               for f in frames), r.stdout
    assert "list.c:%d" % line in r.stdout


def test_wide_copy_over_different_bytes_is_bounded_with_a_note(tmp_path,
                                                               progs):
    r, rep = explore(tmp_path, progs["copy4k"], "w", "blk",
                     "--max-states", "16", "--explore", "eager")
    assert r.returncode == 0, r.stdout + r.stderr
    counts = rep["counts"]
    # the memset and the copy: 64 lines of 8 changed pieces each, 256
    # distinct outcomes a line (lost, written back, 254 torn)
    assert counts["points_bounded"] == 2
    assert counts["states_left_out"] > 2.0 ** 512
    assert counts["states"] < 2 * 16 + 16  # 4 small points add a few
    assert rep["options"]["max_states"] == 16
    note = [n for n in rep["notes"] if "were not explored" in n]
    assert len(note) == 1 and "--max-states=16" in note[0]
    assert "pmemu: note: %s combinations" % "{:.3g}".format(
        counts["states_left_out"]) in r.stdout
    assert "combinations not explored: see the note" in r.stdout
