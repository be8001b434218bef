"""test_shim_signals.py -- a program's own SIGTRAP handler under the shim.

The shim patches raw flush/fence instructions to trap (int3), so SIGTRAP
is the shim's as SIGSEGV is: the program's sigaction(SIGTRAP) is recorded,
not installed over the shim's handler, and every trap that is not a
patched site goes to the program's handler. raw_own_trap.c installs a
handler, raises SIGTRAP, runs patched clwb/sfence, hits an int3 of its
own: its handler must count exactly its 2 traps, its flushes must work.
"""
from test_shim_run import assert_finding_at, assert_no_findings, run


def test_own_sigtrap_handler_and_patched_flushes(pmemu_bin, tmp_path):
    ok = run(pmemu_bin, tmp_path, "raw_own_trap_ok", "--error-exitcode=5")
    assert "traps=2 valid=1 body0=0x2000" in ok.stdout, ok.stdout + ok.stderr
    assert_no_findings(ok)


def test_own_sigtrap_handler_buggy_twin(pmemu_bin, tmp_path):
    bad = run(pmemu_bin, tmp_path, "raw_own_trap_buggy",
              "--error-exitcode=5")
    assert "traps=2 valid=1" in bad.stdout, bad.stdout + bad.stderr
    assert bad.returncode == 5, bad.stderr
    assert_finding_at(bad, "raw_own_trap.c", "the body",
                      "unpersisted stores")


def test_default_sigtrap_still_kills(pmemu_bin, tmp_path):
    """A trap the program does not handle ends it as without pmemu."""
    res = run(pmemu_bin, tmp_path, "raw_own_trap_ok", args=["--no-handler"])
    assert res.returncode == 128 + 5, (res.returncode, res.stderr)
