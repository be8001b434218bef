"""test_shim_files.py -- the files `pmemu run` and the shim create.

- `--log-file` that cannot be opened stops `pmemu run` before the program
  starts (exit 2, one line), instead of running it and losing its findings.
- The findings file of `pmemu run` lives in a private directory (mkdtemp,
  mode 0700) that is removed afterwards: no other user can plant a link at
  its name; under $TMPDIR, else /dev/shm, else /tmp.
- The shim never writes through a symbolic link planted at the name of its
  trace or findings file (PMEMU_TRACE / PMEMU_REPORT): the victim is left
  untouched and the program is stopped with one line, exit 2.
"""
import os
import subprocess

import pytest

from test_shim_run import PROGS, clean_env, libdir


def test_unopenable_log_file_stops_before_the_program(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    ran = tmp_path / "ran"
    res = subprocess.run(
        [pmemu_bin, "run", "--pmem-dir", str(pm), "--log-file",
         str(tmp_path / "none" / "x.log"), "--", "sh", "-c",
         f"touch {ran}"], capture_output=True, text=True, env=clean_env())
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [
        f"pmemu: error: --log-file {tmp_path}/none/x.log: No such file or "
        "directory"], res.stderr
    assert not ran.exists(), "the program ran"


def test_log_file_gets_the_findings(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    log = tmp_path / "x.log"
    res = subprocess.run(
        [pmemu_bin, "run", "--pmem-dir", str(pm), "--log-file", str(log),
         "--", str(PROGS / "map_msync_bad"), str(pm / "pool")],
        capture_output=True, text=True, env=clean_env())
    assert res.returncode == 0, res.stderr
    assert "unpersisted stores" in log.read_text()


def test_findings_file_in_a_private_directory(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)
    res = subprocess.run(
        [pmemu_bin, "run", "--pmem-dir", str(pm), "--", "sh", "-c",
         'd=${PMEMU_REPORT%/*}; stat -c "%a %u" "$d"; echo "$d"'],
        capture_output=True, text=True, env=clean_env(TMPDIR=str(tmp)))
    assert res.returncode == 0, res.stderr
    mode, private = res.stdout.splitlines()
    assert mode == f"700 {os.geteuid()}", res.stdout
    assert private != str(tmp) and private.startswith(str(tmp) + "/")
    assert list(tmp.iterdir()) == [], "left behind"


def test_findings_file_on_tmpfs_without_tmpdir(pmemu_bin, tmp_path):
    """With TMPDIR unset the findings file goes to /dev/shm (when it is
    writable): closing it on a disk file system cost ~3 ms of CPU and
    10-25 ms of wall a run (its msync and the truncation of the writer's
    sparse file)."""
    if not os.access("/dev/shm", os.W_OK | os.X_OK):
        pytest.skip("no writable /dev/shm")
    pm = tmp_path / "pmem"
    pm.mkdir()
    env = clean_env()
    env.pop("TMPDIR", None)
    res = subprocess.run(
        [pmemu_bin, "run", "--pmem-dir", str(pm), "--", "sh", "-c",
         'echo "${PMEMU_REPORT%/*}"'],
        capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    private = res.stdout.strip()
    assert private.startswith("/dev/shm/pmemu-run."), res.stdout
    assert not os.path.exists(private), "left behind"


def test_shim_does_not_follow_a_planted_link(tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    victim = tmp_path / "victim"
    for var in ("PMEMU_REPORT", "PMEMU_TRACE"):
        victim.write_text("precious\n")
        link = tmp_path / f"link-{var}"
        link.symlink_to(victim)
        env = clean_env(LD_PRELOAD=f"{libdir()}/libpmemu.so",
                        PMEMU_PMEM_DIR=str(pm), **{var: str(link)})
        res = subprocess.run(["true"], capture_output=True, text=True,
                             env=env)
        assert victim.read_text() == "precious\n", var
        assert res.returncode == 2, res.stderr
        assert res.stderr.startswith(f"pmemu: error: {link}: "), res.stderr
