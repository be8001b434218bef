"""test_shim_alias.py -- one file mapped twice (issue 11.4), and a
transaction through the second mapping.

A file's lines are the file's, not an address's (MODEL.md): stores through
one mapping and their flush through another mapping of the same file are
one line's store and flush, in one process and across a fork (a table
the processes of a run share, shim_shared.c). map_twice
stores the data through mapping A (or in a forked child), persists it
through mapping B, then sets a flag through A and persists it through B;
map_twice_bad flushes only half the data.

`pmemu run` gave 128 false "unpersisted stores" and a false "redundant
flush" for the correct program. `pmemu explore` must find the bad twin
(a crash may keep the flag without the data) and pass the correct one.
"""
import subprocess

import pytest

from test_shim_run import PROGS, assert_no_findings, clean_env, run

CHECK = """
import os, sys
d = open(sys.argv[1], "rb").read()
data_ok = d[0] != 0 and d[:4096].count(d[0]) == 4096
markers = os.environ.get("PMEMU_MARKERS", "").split(",")
sys.exit(0 if data_ok or (d[8128] != 1 and "data" not in markers) else 1)
"""


MODES = ["same", "fork"]


@pytest.mark.parametrize("mode", MODES)
def test_run_correct_has_no_findings(pmemu_bin, tmp_path, mode):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = run(pmemu_bin, tmp_path, "map_twice_ok",
              args=[str(pm / "pool"), mode])
    assert_no_findings(res)


@pytest.mark.parametrize("mode", MODES)
def test_run_bad_names_only_the_unflushed_half(pmemu_bin, tmp_path, mode):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = run(pmemu_bin, tmp_path, "map_twice_bad",
              args=[str(pm / "pool"), mode])
    assert res.returncode == 0, res.stderr
    assert "unpersisted stores: 32 stores" in res.stderr, res.stderr
    if mode == "same":
        assert "first at pool+0x800" in res.stderr, res.stderr
    assert "redundant flush" not in res.stderr, res.stderr


@pytest.mark.parametrize("prog,verdict", [("map_twice_ok", 0),
                                          ("map_twice_bad", 1)])
@pytest.mark.parametrize("mode", ["same", "fork"])
def test_explore(pmemu_bin, tmp_path, prog, verdict, mode):
    pm = tmp_path / "pmem"
    pm.mkdir()
    check = tmp_path / "check.py"
    check.write_text(CHECK)
    res = subprocess.run(
        [pmemu_bin, "explore", "--pmem-dir", str(pm), "--check",
         f"/usr/bin/python3 {check} {{pmem}}", "--", str(PROGS / prog),
         str(pm / "pool"), mode], capture_output=True, text=True,
        env=clean_env(TMPDIR=str(tmp_path)))
    assert res.returncode == verdict, res.stdout + res.stderr


# tx_two_maps: a transaction adds and stores through mapping B after
# mapping A's page was written and settled. The check of a transaction's
# untraced stores read the twin of the first mapping of the file (A's:
# not the page's content before the store), which gave a false "store
# outside its transaction" at +0x20 for the correct program and hid the
# real one at +0x80. tx_two_maps_late stores through B, then adds the
# range through A: the check of stores made before their add looked only
# at A's twins, whose page was not open, and reported nothing.
def test_tx_through_the_second_mapping_has_no_findings(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "tx_two_maps_ok")
    assert_no_findings(res)


def test_tx_through_the_second_mapping_names_the_store(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "tx_two_maps_bad")
    assert res.returncode == 0, res.stderr
    assert "store outside its transaction: 1 store" in res.stderr, res.stderr
    assert "first at pool+0x80" in res.stderr, res.stderr
    assert "pool+0x20" not in res.stderr, res.stderr


def test_tx_store_before_its_add_through_the_other_mapping(pmemu_bin,
                                                          tmp_path):
    res = run(pmemu_bin, tmp_path, "tx_two_maps_late")
    assert res.returncode == 0, res.stderr
    assert "store before its TX_ADD: 1 store" in res.stderr, res.stderr
    assert "first at pool+0x0\n" in res.stderr, res.stderr
    assert "outside its transaction" not in res.stderr, res.stderr
