"""test_run_cut_short.py -- `pmemu run` said "no findings" for a program
whose end it never saw: one that died of a signal (abort) or left by an
exit system call of its own wrote no findings of its end (the END record
of the findings file is missing), and a statically linked one never ran
the shim at all (no findings file). Each left a store unflushed. Now
each is a "pmemu: error:" line and never "no findings"; a run that would
have exited 0 exits 2.
"""
import shutil
import subprocess

import pytest

from test_shim_run import SRC, assert_finding_at, clean_env, run

CUT = "pmemu: error: the program ended without pmemu's shutdown"


def test_a_clean_exit_reports_the_store(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "cut_short",
              args=[str(tmp_path / "pmem" / "pool"), "exit"])
    assert_finding_at(res, "cut_short.c", "STORE", "unpersisted stores")
    assert CUT not in res.stderr


@pytest.mark.parametrize("how,code", [("abort", 128 + 6), ("raw_exit", 2)])
def test_an_end_unseen_is_said_not_passed(pmemu_bin, tmp_path, how, code):
    res = run(pmemu_bin, tmp_path, "cut_short",
              args=[str(tmp_path / "pmem" / "pool"), how])
    assert CUT in res.stderr, res.stderr
    assert "no findings" not in res.stderr, res.stderr
    assert res.returncode == code, res.stderr


def test_a_static_program_is_said_unchecked(pmemu_bin, tmp_path):
    prog = tmp_path / "cut_short_static"
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or subprocess.run(
            [cc, "-static", "-o", str(prog), str(SRC / "cut_short.c")],
            capture_output=True).returncode != 0:
        pytest.skip("no static C build here")
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                          str(prog), str(pm / "pool"), "exit"],
                         capture_output=True, text=True, env=clean_env(),
                         timeout=600)
    assert "ran without pmemu's runtime" in res.stderr, res.stderr
    assert "no findings" not in res.stderr, res.stderr
    assert res.returncode == 2, res.stderr
