"""test_hot_return.py -- a page that its writes leave for a while and
come back to (every 150 fences here; bench_obj's slot pages every ~130
to ~250 settles) stays hot once the wait that would have covered the
gap is reached (shim_dirty.c stay_hot: 6, 24, 96, 384 fences), instead
of cooling down and faulting again at every return: with waits of 6,
12, 24, 48 fences its level went back down at each late fault and it
paid a fault and two mprotects a return. Counted, not timed: the
mprotect calls of `pmemu run` (strace -c); and the program, which
flushes and fences every store, has no finding.
"""
import shutil
import subprocess

import pytest

from conftest import SOURCE
from test_plugin_hot import mprotect_count

PROG = SOURCE / "scripts" / "tests" / "progs" / "hot_return.c"


def test_a_returning_page_stays_hot(pmemu_bin, tmp_path, cc):
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    exe = tmp_path / "hot_return"
    subprocess.run([cc, "-O1", "-mclwb", str(PROG), "-o", str(exe)],
                   check=True)
    pm = tmp_path / "pm"
    pm.mkdir()
    calls, res = mprotect_count(tmp_path, [pmemu_bin, "run", "--quiet",
                                           "--pmem-dir", str(pm), "--",
                                           str(exe), str(pm / "pool")])
    assert res.stderr.strip() == "", res.stderr
    # 133 returns: ~270 mprotects when each one faults; start-up's ~30
    assert calls < 120, calls
