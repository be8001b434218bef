"""test_package.py -- the Python package installs with pip (offline, into a
venv) and, once installed, pytest loads its plugin by entry point: no -p,
no PYTHONPATH, and the pmemu binary found on PATH."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parents[1]

USER_TESTS = r'''
import pytest

@pytest.mark.crash_consistency(check="pmemu-demo check {pmem}")
def test_demo_append_loses_the_entry(pmemu, pmem):
    pmemu.check(["pmemu-demo", "append", pmem / "log.pool", "hello"])

@pytest.mark.crash_consistency(check="true {pmem}")
def test_trivial_check_passes(pmemu, pmem):
    rep = pmemu.check(["pmemu-demo", "append", pmem / "log.pool", "hello"])
    assert rep.passed

def test_driver_is_the_installed_one():
    import pmemu
    assert "site-packages" in pmemu.__file__, pmemu.__file__
'''


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A venv that sees Debian's pytest, with pmemu pip-installed into it
    from a copy of the package (pip's in-tree build leaves build/ and
    *.egg-info behind: not in the user's checkout)."""
    root = tmp_path_factory.mktemp("pkg")
    src = root / "src"
    src.mkdir()
    shutil.copy(SCRIPTS / "pyproject.toml", src)
    shutil.copytree(SCRIPTS / "pmemu", src / "pmemu",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    str(env_dir)], check=True)
    r = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip",
                        "install", "--no-build-isolation", "--no-index",
                        "--no-deps", str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return env_dir


def clean_env(path_dirs):
    """The environment of a user who installed pmemu: no checkout on
    PYTHONPATH, no $PMEMU, the binaries on PATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PMEMU") and not k.startswith("PMEMU_")}
    env["PATH"] = os.pathsep.join([*map(str, path_dirs), env.get("PATH", "")])
    return env


def test_pip_install_declares_the_pytest11_entry_point(venv):
    r = subprocess.run([str(venv / "bin" / "python"), "-c",
                        "import importlib.metadata as m;"
                        "print([e.value for e in m.entry_points(group='pytest11')"
                        " if e.name == 'pmemu'])"],
                       capture_output=True, text=True, env=clean_env([]),
                       cwd="/", check=True)
    assert r.stdout.strip() == "['pmemu.pytest_plugin']"


def test_plugin_loads_by_entry_point_and_finds_pmemu_on_path(venv, tmp_path,
                                                              pmemu_bin):
    tests = tmp_path / "user"
    tests.mkdir()
    (tests / "test_user.py").write_text(USER_TESTS)
    bindir = pathlib.Path(pmemu_bin).parent  # pmemu and pmemu-demo
    r = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q",
                        "-p", "no:cacheprovider", str(tests)],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=clean_env([bindir]))
    out = r.stdout + r.stderr
    # the buggy demo fails with pmemu's explanation, the rest pass
    assert "1 failed, 2 passed" in out, out
    assert "CrashConsistencyError" in out, out
    assert "demo_log.c:47" in out, out
    assert "pmemu replay" in out, out


def test_find_pmemu_outside_a_checkout(venv, tmp_path, pmemu_bin):
    """Installed, the driver takes pmemu from PATH; with neither PATH nor
    $PMEMU it says how to fix it."""
    code = "import pmemu; print(pmemu.find_pmemu())"
    py = str(venv / "bin" / "python")
    bindir = pathlib.Path(pmemu_bin).parent
    r = subprocess.run([py, "-c", code], capture_output=True, text=True,
                       env=clean_env([bindir]), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert pathlib.Path(r.stdout.strip()).samefile(pmemu_bin)
    env = clean_env([])
    env["PATH"] = "/usr/bin:/bin"
    r = subprocess.run([py, "-c", code], capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert "pmemu not found" in r.stderr
