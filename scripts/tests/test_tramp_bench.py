"""test_tramp_bench.py -- tramp_bench.py (docs/performance.md): one line a
build with the cost of a call. Never timed: the figures are only checked
to be there."""
import re
import subprocess
import sys

from conftest import SOURCE

BENCH = SOURCE / "scripts" / "bench" / "tramp_bench.py"


def test_a_line_per_build(pmemu_bin):
    r = subprocess.run([sys.executable, str(BENCH), "--pmemu", pmemu_bin,
                        "--pmemu", pmemu_bin, "--calls", "1000",
                        "--repeat", "1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = re.findall(r"^@(\d) .*: 1000 sfences [0-9.]+s, 1 sfence "
                       r"[0-9.]+s: -?\d+ ns a call$", r.stdout, re.M)
    assert lines == ["0", "1"], r.stdout


def test_bad_calls_stop(pmemu_bin):
    r = subprocess.run([sys.executable, str(BENCH), "--pmemu", pmemu_bin,
                        "--calls", "1"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "--calls" in r.stderr
