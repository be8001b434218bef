"""test_explore_tmpfs.py -- where explore's images go (issue 16,
emulator/explore/image_dir.c): with no TMPDIR on tmpfs when they fit
(PMEMU_TMPFS_DIR stands for /dev/shm), in /tmp with a note when a limit
is too small (PMEMU_TMPFS_LIMIT), where TMPDIR says when it is set; a
check's writes through pages of a mapping it read first are undone on
tmpfs as on a disk (image_watch.c); a check that opens its image with
O_DIRECT gets the verdict it gets on a disk directory, eager and lazy.
The check learns its image directory from PMEMU_IMAGE."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402
from test_explore_restore import replayed, trace  # noqa: E402
from test_shim_run import clean_env  # noqa: E402

PROGS = os.path.join(os.path.dirname(__file__), "progs")


def env(**extra):
    e = clean_env(**extra)
    if "TMPDIR" not in extra:
        e.pop("TMPDIR", None)
    return e


def explore(pmemu_bin, tr, check, e, *args):
    return subprocess.run([pmemu_bin, "explore", "--trace", str(tr),
                           "--no-progress", "--check", check, *args],
                          capture_output=True, text=True, env=e,
                          stdin=subprocess.DEVNULL)


def image_dirs(pmemu_bin, tmp_path, e, *args):
    """the directories holding the image directories of every check"""
    tr, _ = trace(tmp_path, 5)
    log = tmp_path / "img.log"
    r = explore(pmemu_bin, tr, f"test -e {{pmem}} && echo $PMEMU_IMAGE >> "
                f"{log}", e, "--jobs", "2", *args)
    assert r.returncode == 0, r.stderr
    seen = {os.path.dirname(os.path.dirname(d))
            for d in log.read_text().split()}
    return seen, r.stdout


def test_the_images_go_to_tmpfs_when_they_fit(pmemu_bin, tmp_path, shm_dir):
    seen, out = image_dirs(pmemu_bin, tmp_path,
                           env(PMEMU_TMPFS_DIR=str(shm_dir)))
    assert seen == {str(shm_dir)}
    assert "note: the images" not in out
    assert list(shm_dir.iterdir()) == [], "left behind"


def test_a_tiny_limit_keeps_them_in_tmp(pmemu_bin, tmp_path, shm_dir):
    seen, out = image_dirs(pmemu_bin, tmp_path,
                           env(PMEMU_TMPFS_DIR=str(shm_dir),
                               PMEMU_TMPFS_LIMIT="1"))
    assert seen == {"/tmp"}
    # --jobs 2: two slots and the explanation's, 40000 bytes + 1 MiB each
    assert (f"pmemu: note: the images are in /tmp, not {shm_dir}: 3 image "
            "directories of 1.0 MiB would take more than half its free "
            "space or a quarter of the available memory (TMPDIR "
            "chooses)\n") in out
    assert list(shm_dir.iterdir()) == []


def test_tmpdir_wins(pmemu_bin, tmp_path, shm_dir):
    mine = tmp_path / "mine"
    mine.mkdir()
    seen, out = image_dirs(pmemu_bin, tmp_path,
                           env(PMEMU_TMPFS_DIR=str(shm_dir),
                               TMPDIR=str(mine)))
    assert seen == {str(mine)}
    assert "note: the images" not in out
    assert list(mine.iterdir()) == [] and list(shm_dir.iterdir()) == []


def test_not_a_tmpfs_is_not_taken(pmemu_bin, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["stat", "-f", "-c", "%T", str(disk)],
                      capture_output=True, text=True).stdout.strip() == \
            "tmpfs":
        pytest.skip("the test directory is on tmpfs")
    seen, out = image_dirs(pmemu_bin, tmp_path,
                           env(PMEMU_TMPFS_DIR=str(disk)))
    assert seen == {"/tmp"}
    assert "note: the images" not in out


def test_a_bad_limit_is_an_error(pmemu_bin, tmp_path):
    tr, _ = trace(tmp_path, 1)
    r = explore(pmemu_bin, tr, "true {pmem}", env(PMEMU_TMPFS_LIMIT="1k"))
    assert r.returncode == 2
    assert r.stderr == ("pmemu: error: PMEMU_TMPFS_LIMIT '1k': not a "
                        "number of bytes\n")


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    out = tmp_path_factory.mktemp("checks")
    built = {}
    for name in ("scribble_check", "odirect_check"):
        built[name] = str(out / name)
        subprocess.run(["cc", "-O1", os.path.join(PROGS, name + ".c"),
                        "-o", built[name]], check=True)
    return built


@pytest.mark.parametrize("jobs,fork_server,media", [
    ("1", "off", "disk"), ("2", "on", "disk"), ("1", "off", "tmpfs")])
def test_writes_through_pages_read_first_are_undone(pmemu_bin, tmp_path,
                                                    shm_dir, progs, jobs,
                                                    fork_server, media):
    """the check reads every page through its mapping, then writes them:
    on tmpfs no mtime moves; every check must still see its state's
    exact image (that of `pmemu replay`). The media on the test's
    directory: the images are copied from another file system."""
    where = tmp_path if media == "disk" else shm_dir / "media"
    where.mkdir(exist_ok=True)
    images = shm_dir / "images"
    images.mkdir()
    tr, _ = trace(where, 30)
    log = tmp_path / "seen.log"
    check = f"{progs['scribble_check']} {{pmem}} {log} mapread"
    r = explore(pmemu_bin, tr, check,
                env(TMPDIR=str(images)), "--strategy", "all",
                "--crash-points", "all", "--no-explain", "--jobs", jobs,
                "--fork-server", fork_server)
    assert r.returncode == 0, r.stderr
    seen = [ln.split(" ", 1) for ln in log.read_text().splitlines()]
    assert len(seen) > 40
    wrong = [s for s, digest in seen if digest != replayed(where, tr, s)]
    assert wrong == []
    assert list(images.iterdir()) == [], "left behind"


def odirect_trace(tmp_path):
    """A then B stored on two lines, flushed, one fence: B may be durable
    without A (the check fails there)"""
    media = tmp_path / "pool.img"
    media.write_bytes(bytes(8192))
    t = Trace()
    t.region(str(media), 8192)
    t.store(0, b"A" * 8, site=1)
    t.store(64, b"B" * 8, site=2)
    t.clwb(0, site=3)
    t.clwb(64, site=3)
    t.sfence(site=4)
    t.end()
    return t.write(tmp_path / "t.trace")


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_an_o_direct_check_gets_the_disk_verdict(pmemu_bin, tmp_path,
                                                 shm_dir, progs, mode):
    tr = odirect_trace(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    reports = {}
    for where, e in (("disk", env(TMPDIR=str(disk))),
                     ("tmpfs", env(PMEMU_TMPFS_DIR=str(shm_dir)))):
        js = tmp_path / f"{where}.json"
        r = explore(pmemu_bin, tr, f"{progs['odirect_check']} {{pmem}}", e,
                    "--strategy", "inflight", "--explore", mode,
                    "--no-explain", "--json", str(js))
        assert r.returncode == 1, r.stdout + r.stderr
        rep = json.loads(js.read_text())
        reports[where] = (rep["verdict"], rep["counts"]["failing_states"],
                          [f["state"] for f in rep["failures"]],
                          [f["result"] for f in rep["failures"]])
    assert reports["tmpfs"] == reports["disk"]
    verdict, failing, states, results = reports["disk"]
    assert verdict == "fail" and failing >= 1
    assert all(x == {"kind": "exit", "code": 1, "signal": None}
               for x in results), results
    assert list(shm_dir.iterdir()) == [] and list(disk.iterdir()) == []
