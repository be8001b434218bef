"""test_plugin_hot.py -- a page the plugin build writes stays hot as the
plain build's does (shim_dirty.c traced_one): its logged stores reach the
twin before any compare, and a page that looked quiet for it cooled down
and faulted again at its next store. Counted, not timed: the mprotect
calls of `pmemu run` of bench_store.c built with and without the plugin
(strace -c), which were 2.2x the plain build's before.
"""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, SOURCE
from test_libpmem_run import clean_env

PROG = SOURCE / "scripts" / "bench" / "bench_store.c"
PLUGIN = BUILD / "lib" / "pmemu-gcc.so"


def build(cc, out, plugin):
    flags = [f"-fplugin={PLUGIN}", "-I", str(SOURCE / "include")] \
        if plugin else []
    subprocess.run([cc, "-O2", "-I", str(PROG.parent), *flags, str(PROG),
                    "-o", str(out), "-lpmem"], check=True)
    return out


def mprotects(pmemu_bin, tmp_path, exe, args=("1", "4")):
    """mprotect calls of a run of exe POOL args (strace -c)"""
    pm = tmp_path / "pm"
    shutil.rmtree(pm, ignore_errors=True)
    pm.mkdir()
    summary = tmp_path / "strace.txt"
    r = subprocess.run(["strace", "-f", "-c", "-e", "trace=mprotect", "-o",
                        str(summary), pmemu_bin, "run", "--quiet",
                        "--pmem-dir", str(pm), "--", str(exe),
                        str(pm / "pool"), *args],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr
    m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+mprotect$",
                  summary.read_text(), re.M)
    assert m, summary.read_text()
    return int(m.group(1))


def test_plugin_pages_stay_hot(pmemu_bin, tmp_path, cc):
    if not PLUGIN.exists():
        pytest.skip("plugin not built")
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    plain = mprotects(pmemu_bin, tmp_path,
                      build(cc, tmp_path / "plain", False))
    plugin = mprotects(pmemu_bin, tmp_path,
                       build(cc, tmp_path / "plugin", True))
    # 256 pages x 4 passes, two mprotects a page a pass, and start-up's
    assert plugin <= plain * 1.2 + 100, (plain, plugin)
