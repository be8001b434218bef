"""test_patch_window.py -- patching writes each object's code in one
writable window per run of adjacent pages (libshim/patch/insn_text.c):
no code page is made writable twice while the loaded objects are patched
at start-up. Counted, not timed: the W+X mprotects of `pmemu run` of a
program linking libpmemobj (its sites share a few dozen pages),
which opened a page once per byte range written (three per jump) before.
"""
import re
import shutil
import subprocess

import pytest

from test_libpmem_run import clean_env

PROG = "#include <libpmemobj.h>\n#include <stdio.h>\n" \
       "int main(void){puts(pmemobj_errormsg());return 0;}\n"
WX = re.compile(r"^\d+\s+mprotect\((0x[0-9a-f]+), (\d+), "
                r"PROT_READ\|PROT_WRITE\|PROT_EXEC\) = 0$", re.M)


def test_each_code_page_is_opened_once(pmemu_bin, tmp_path, cc):
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    src = tmp_path / "obj.c"
    src.write_text(PROG)
    exe = tmp_path / "obj"
    subprocess.run([cc, "-O2", str(src), "-o", str(exe), "-lpmemobj"],
                   check=True)
    pm = tmp_path / "pm"
    pm.mkdir()
    log = tmp_path / "strace.txt"
    r = subprocess.run(["strace", "-f", "-e", "trace=mprotect", "-o",
                        str(log), pmemu_bin, "run", "--quiet",
                        "--pmem-dir", str(pm), "--", str(exe)],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr
    opened = []
    for addr, length in WX.findall(log.read_text()):
        lo = int(addr, 16)
        opened += range(lo, lo + int(length), 4096)
    assert opened, "no code was patched"
    twice = {hex(p) for p in opened if opened.count(p) > 1}
    assert not twice, sorted(twice)
