"""test_full_disk.py -- a full file system under record, explore, replay
and run (issue 11.11).

The shim writes its trace through a shared mapping: a page the file system
cannot back would kill the traced program with SIGBUS. The shim allocates
ahead and, when the disk is full, stops tracing and lets the program run
on; `record` and `explore` then say "trace ... incomplete: no space left
on <mount point>" and exit 2. Crash images that do not fit (a full TMPDIR
or `replay -o`) give "No space left on device" and leave no partial image.

Each test mounts a 2 MiB tmpfs (root only; skipped, saying why, when the
mount is not permitted) and unmounts it afterwards.
"""
import subprocess

import pytest

from test_shim_run import PROGS, clean_env

# threads_page's rounds: a trace of about 4 MiB (version 2; 9 in version
# 1), twice the file system
REPEATS = "1000"


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                          str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {res.stderr}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def pmemu(pmemu_bin, *args, **env):
    return subprocess.run([pmemu_bin, *map(str, args)], capture_output=True,
                          text=True, env=clean_env(**env))


def test_record_keeps_the_program_running(pmemu_bin, tmp_path, small_fs):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = pmemu(pmemu_bin, "record", "-o", small_fs / "t.trace",
                "--pmem-dir", pm, "--", PROGS / "threads_page", pm / "pool",
                REPEATS)
    assert res.returncode == 2, res.stderr
    assert res.stdout == "done\n", "the program did not run to its end"
    assert res.stderr.splitlines()[-1] == (
        f"pmemu: error: trace {small_fs}/t.trace incomplete: no space "
        f"left on {small_fs}"), res.stderr


def test_explore_with_a_full_tmpdir_records(pmemu_bin, tmp_path, small_fs):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = pmemu(pmemu_bin, "explore", "--pmem-dir", pm, "--check", "true",
                "--", PROGS / "threads_page", pm / "pool", REPEATS,
                TMPDIR=str(small_fs))
    assert res.returncode == 2, res.stderr
    assert f"incomplete: no space left on {small_fs}" in res.stderr
    assert list(small_fs.iterdir()) == [], "left behind"


def test_images_that_do_not_fit(pmemu_bin, tmp_path, small_fs):
    pm = tmp_path / "pmem"
    pm.mkdir()
    trace = tmp_path / "t.trace"
    rec = pmemu(pmemu_bin, "record", "-q", "-o", trace, "--pmem-dir", pm,
                "--", PROGS / "big_pool", pm / "pool")
    assert rec.returncode == 0, rec.stderr
    res = pmemu(pmemu_bin, "explore", "--trace", trace, "--check", "true",
                TMPDIR=str(small_fs))
    assert res.returncode == 2, res.stderr
    assert "No space left on device" in res.stderr, res.stderr
    assert list(small_fs.iterdir()) == [], "left behind"
    img = small_fs / "img"
    res = pmemu(pmemu_bin, "replay", "--trace", trace, "--state", "2",
                "-o", img)
    assert res.returncode == 2, res.stderr
    assert res.stderr == (f"pmemu: error: -o {img}: writing the image: No "
                          "space left on device\n")
    assert not img.exists(), "a partial image"


def test_run_with_a_full_tmpdir(pmemu_bin, tmp_path, small_fs):
    pm = tmp_path / "pmem"
    pm.mkdir()
    subprocess.run(["dd", "if=/dev/zero", f"of={small_fs}/fill", "bs=64k"],
                   capture_output=True)
    res = pmemu(pmemu_bin, "run", "--pmem-dir", pm, "--",
                PROGS / "map_msync_ok", pm / "pool", TMPDIR=str(small_fs))
    assert res.returncode == 2, res.stderr
    assert "No space left on device" in res.stderr, res.stderr
