"""test_shim_vfork.py -- a vfork child runs in its parent's memory: the
shim makes vfork a fork (intercept_thread.c), so the child's exec (a clean
shutdown of the child's image, an interposer never left) does not switch
the parent's shim off. dash runs a foreground command by vfork."""
import subprocess

import pytest

from test_explore_programs import PMEMU, build_progs, tagged_line


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("vfork_store",))["vfork_store"]


def test_a_store_after_a_vfork_exec_is_tracked(tmp_path, prog):
    pm = tmp_path / "pm"
    pm.mkdir()
    r = subprocess.run([PMEMU, "run", "--pmem-dir", str(pm),
                        "--error-exitcode=9", "--", prog, str(pm / "pool")],
                       capture_output=True, text=True)
    assert r.returncode == 9, r.stderr
    assert f"(vfork_store.c:{tagged_line('vfork_store', 'STORE')})" in r.stderr, r.stderr
    assert "not durable at exit" in r.stderr, r.stderr


def test_a_shell_that_vforks_ends_its_trace(tmp_path):
    pm = tmp_path / "pm"
    pm.mkdir()
    trace = tmp_path / "trace"
    r = subprocess.run([PMEMU, "record", "-o", str(trace), "--pmem-dir",
                        str(pm), "--", "sh", "-c",
                        "/bin/true & /bin/true; wait"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    dump = subprocess.run([PMEMU, "trace-dump", str(trace)],
                          capture_output=True, text=True)
    assert dump.stdout.rstrip().splitlines()[-1].split()[1] == "end", \
        dump.stdout + dump.stderr
