"""test_shim_register.py -- pmemu_register_pmem: pmem with no file.

register_pmem.c registers a page-aligned heap buffer ("heap"), stores a
record, persists it with pmemu_flush/pmemu_fence, then its valid flag,
unregisters and frees it. The buggy twin forgets the record's flush: its
store is reported at its line, and a crash state keeps the flag without
the record. A range that holds no whole page is refused (-1).
"""
import subprocess
import sys

import pytest

from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           clean_env, run)

OUT = "running=1 tiny=-1 Before registration / a record on emulated pmem"
CHECK = ("import sys; d = open(sys.argv[1], 'rb').read(); "
         "sys.exit(1 if d[8191] == 1 and b'a record' not in d else 0)")


def test_registered_buffer_correct_twin(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "register_pmem_ok", "--error-exitcode=9",
              args=[])
    assert OUT in res.stdout, res.stdout + res.stderr
    assert_no_findings(res)


def test_registered_buffer_buggy_twin(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "register_pmem_bad", "--error-exitcode=9",
              args=[])
    assert OUT in res.stdout, res.stdout + res.stderr
    assert res.returncode == 9, res.stderr
    assert_finding_at(res, "register_pmem.c", "STORE", "unpersisted stores")
    assert "anon:heap+0x1000" in res.stderr, res.stderr


def test_without_pmemu_calls_are_no_ops(tmp_path):
    res = subprocess.run([str(PROGS / "register_pmem_ok")],
                         capture_output=True, text=True, env=clean_env())
    assert res.returncode == 0
    assert "running=0 tiny=0" in res.stdout


@pytest.mark.parametrize("twin,code", [("register_pmem_ok", 0),
                                       ("register_pmem_bad", 1)])
def test_registered_buffer_explored(pmemu_bin, tmp_path, twin, code):
    pm = tmp_path / "pmem"
    pm.mkdir()
    check = f"{sys.executable} -c \"{CHECK}\" {{pmem}}"
    res = subprocess.run([pmemu_bin, "explore", "--no-progress", "--strategy",
                          "all", "--pmem-dir", str(pm), "--check", check,
                          "--", str(PROGS / twin)],
                         capture_output=True, text=True,
                         env=clean_env(TMPDIR=str(tmp_path)), timeout=600)
    assert res.returncode == code, res.stdout + res.stderr
    if code:
        assert "anon:heap+0x1000 (64 bytes): never flushed" in res.stdout
        assert "stored at main (register_pmem.c:" in res.stdout, res.stdout
