"""test_shim_redirect.py -- checks that name the program's own path.

`pmemu explore --check 'CMD'` without {pmem} runs CMD under libpmemu.so
with PMEMU_IMAGE: every path under the program's pmem dir names the crash
image's file of the same name (open, mmap, stat, access), so a program
that is its own checker runs as `prog check /its/pool`. Both forms must
give the same verdict; the check's writes reach the image, never the
user's file; and the redirect works when the original file is gone.
"""
import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import BUILD
from test_shim_run import clean_env, libdir

PROGS = BUILD / "shim-progs"


def explore(pmemu_bin, tmp, *args):
    """A failing explore keeps its recording in TMPDIR: the test's own."""
    return subprocess.run([pmemu_bin, "explore", "--no-progress",
                           "--strategy", "all", *args],
                          capture_output=True, text=True,
                          env=clean_env(TMPDIR=str(tmp)), timeout=600)


def verdict(res):
    """The lines that do not depend on where the recording was kept."""
    return [line for line in res.stdout.splitlines()
            if "/tmp/" not in line and "pmemu-record" not in line]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("twin,code", [("selfcheck_log_ok", 0),
                                       ("selfcheck_log_bad", 1)])
def test_own_path_check_equals_placeholder_check(pmemu_bin, tmp_path, twin,
                                                 code):
    prog = str(PROGS / twin)
    runs = {}
    for form in ("{pmem}", "own"):
        pm = tmp_path / form.strip("{}")
        pm.mkdir()
        pool = pm / "pool"
        target = "{pmem}" if form == "{pmem}" else str(pool)
        res = explore(pmemu_bin, tmp_path, "--pmem-dir", str(pm), "--check",
                      f"{prog} check {target}", "--", prog, "append",
                      str(pool))
        assert res.returncode == code, res.stdout + res.stderr
        runs[form] = verdict(res)
        # the program's run left its file; no check wrote to it
        assert b"checked" not in pool.read_bytes()
    assert runs["own"] == runs["{pmem}"]
    if code:
        assert any("count 1 covers an empty entry" in line
                   for line in runs["own"]), runs["own"]


def test_own_path_check_with_the_original_file_gone(pmemu_bin, tmp_path):
    """--trace: the pmem dir is the trace's; stat/access see the image."""
    pm = tmp_path / "pmem"
    pm.mkdir()
    pool = pm / "pool"
    prog = str(PROGS / "selfcheck_log_bad")
    trace = tmp_path / "trace"
    rec = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(pm), "--", prog, "append",
                          str(pool)], capture_output=True, text=True,
                         env=clean_env(), timeout=600)
    assert rec.returncode == 0, rec.stderr
    moved = tmp_path / "moved"
    moved.mkdir()
    # the media before the run: the program created the pool, so none
    os.unlink(pool)
    res = explore(pmemu_bin, tmp_path, "--trace", str(trace), "--pmem-dir",
                  str(moved), "--check", f"{prog} check {pool}")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "count 1 covers an empty entry" in res.stdout, res.stdout
    assert "not the pool" not in res.stdout, res.stdout
    assert not pool.exists()


def test_demo_is_its_own_checker(pmemu_bin, tmp_path):
    """The README's demo: `pmemu-demo check POOL`, the pool's own path."""
    demo = str(BUILD / "bin" / "pmemu-demo")
    pm = tmp_path / "pmem"
    pm.mkdir()
    pool = pm / "log.pool"
    res = explore(pmemu_bin, tmp_path, "--pmem-dir", str(pm), "--check",
                  f"{demo} check {pool}", "--", demo, "append", str(pool),
                  "hello", "world")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "is empty" in res.stdout, res.stdout
    assert "demo_log.c:47" in res.stdout, res.stdout


def test_image_redirect_under_bare_preload(tmp_path):
    """PMEMU_IMAGE alone: the program's path opens the image's file."""
    pm, img = tmp_path / "pmem", tmp_path / "image"
    pm.mkdir()
    img.mkdir()
    (pm / "pool").write_bytes(b"\0" * 8192)
    before = digest(pm / "pool")
    image = bytearray(8192)
    image[0] = 1                      # count 1, entry empty: inconsistent
    (img / "pool").write_bytes(bytes(image))
    env = clean_env(LD_PRELOAD=os.path.join(libdir(), "libpmemu.so"),
                    PMEMU_PMEM_DIR=str(pm), PMEMU_IMAGE=str(img))
    prog = str(PROGS / "selfcheck_log_ok")
    res = subprocess.run([prog, "check", str(pm / "pool")],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 1, res.stdout + res.stderr
    image[4096:4101] = b"entry"       # now consistent: the check marks it
    (img / "pool").write_bytes(bytes(image))
    res = subprocess.run([prog, "check", str(pm / "pool")],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert b"checked" in (img / "pool").read_bytes()
    assert digest(pm / "pool") == before
    # a file the check creates under the pmem dir lands next to the image
    res = subprocess.run([prog, "append", str(pm / "new")],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert (img / "new").exists() and not (pm / "new").exists()
    shutil.rmtree(img)
