"""test_shim_cli.py -- what `pmemu run` prints besides findings.

- When the shim stops the program (a malformed option, a flush it cannot
  patch) it says why in one line and exits 2: `pmemu run` adds nothing
  ("no findings" would be a verdict on a program that never ran) and
  exits 2. A program that exits 2 on its own still gets its verdict.
- Locked instructions in uninstrumented code are fences pmemu cannot see:
  a run that emulated a file ends with a note naming them, in `pmemu run`
  and in `pmemu explore`; their twin without one, or a run that emulated
  nothing, has no note.
"""
import subprocess

from conftest import BUILD
from test_shim_run import assert_no_findings, clean_env, run

NOTE = ("pmemu: note: 1 locked instruction in uninstrumented code "
        "(locked_note (1)) is a fence pmemu cannot see: a verdict may "
        "depend on it")


def test_bad_option_adds_nothing(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "map_msync_ok", "--domain=dax")
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        "pmemu: error: --domain / PMEMU_DOMAIN='dax': expected adr, eadr, "
        "pagecache or cxl"], res.stderr


def test_unpatchable_site_adds_nothing(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = subprocess.run(
        [pmemu_bin, "run", "--pmem-dir", str(pm), "--",
         str(BUILD / "raw-progs" / "raw_maskmov"), str(pm / "pool")],
        capture_output=True, text=True, env=clean_env())
    assert res.returncode == 2
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("pmemu: error: cannot emulate"), res.stderr


def test_program_exit_2_keeps_its_verdict(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "locked_note_none", args=[])
    assert res.returncode == 2
    assert "usage:" in res.stderr
    assert "pmemu: no findings" in res.stderr, res.stderr


def test_locked_instruction_note(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "locked_note")
    assert_no_findings(res)
    assert res.stderr.splitlines()[-1] == NOTE, res.stderr
    quiet = run(pmemu_bin, tmp_path, "locked_note", "--quiet")
    assert quiet.stderr == "", quiet.stderr


def test_no_note_without_lock_or_pmem(pmemu_bin, tmp_path):
    for prog, args in (("locked_note_none", None),
                       ("locked_note", ["--no-pmem"])):
        res = run(pmemu_bin, tmp_path, prog, args=args)
        assert_no_findings(res)
        assert "note:" not in res.stderr, res.stderr


def test_explore_prints_the_note(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = subprocess.run(
        [pmemu_bin, "explore", "--pmem-dir", str(pm), "--check",
         "test -s {pmem}", "--", str(BUILD / "shim-progs" / "locked_note"),
         str(pm / "pool")],
        capture_output=True, text=True,
        env=clean_env(TMPDIR=str(tmp_path)))
    assert res.returncode == 0, res.stdout + res.stderr
    assert NOTE in res.stdout.splitlines(), res.stdout
