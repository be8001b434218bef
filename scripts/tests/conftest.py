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
