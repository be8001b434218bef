"""conftest.py -- where the built pmemu is, for every end-to-end test."""
import os
import pathlib
import shutil

import pytest

SOURCE = pathlib.Path(os.environ.get("PMEMU_SOURCE_DIR",
                                     pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("PMEMU_BUILD_DIR", SOURCE / "build"))


@pytest.fixture(scope="session")
def pmemu_bin():
    """Path of the pmemu command under test."""
    path = os.environ.get("PMEMU") or str(BUILD / "bin" / "pmemu")
    if not os.path.exists(path):
        pytest.fail(f"pmemu not built at {path}")
    return path


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture(scope="session")
def cc():
    return shutil.which("gcc") or "cc"


def is_tmpfs(path):
    """whether path is on tmpfs (by the mount table: the longest match)"""
    best, kind = "", None
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            mnt = fields[1].replace("\\040", " ")
            if (str(path) == mnt or str(path).startswith(mnt.rstrip("/") +
                                                         "/")) and \
                    len(mnt) >= len(best):
                best, kind = mnt, fields[2]
    return kind == "tmpfs"


@pytest.fixture
def shm_dir():
    """a fresh directory on /dev/shm for explore's images
    (PMEMU_TMPFS_DIR), removed after the test"""
    if not os.path.isdir("/dev/shm") or not is_tmpfs("/dev/shm"):
        pytest.skip("/dev/shm is not a tmpfs")
    import tempfile
    d = pathlib.Path(tempfile.mkdtemp(prefix="pmemu-test-", dir="/dev/shm"))
    yield d
    shutil.rmtree(d, ignore_errors=True)
