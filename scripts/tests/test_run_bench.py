"""test_run_bench.py -- run_bench.py's measuring mode with two builds
(docs/performance.md): one column per build and mode, interleaved.

Never timed: the figures are only checked to be there. The obj program is
the shortest of the four (20,000 transactions); one run per column.
"""
import re
import subprocess
import sys

from conftest import SOURCE

BENCH = SOURCE / "scripts" / "bench" / "run_bench.py"


def test_two_builds_get_a_column_each(pmemu_bin):
    r = subprocess.run([sys.executable, str(BENCH), "--pmemu", pmemu_bin,
                        "--pmemu", pmemu_bin, "--benches", "obj",
                        "--modes", "native,run", "--repeat", "1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"# @0: {pmemu_bin}" in r.stdout
    assert f"# @1: {pmemu_bin}" in r.stdout
    row = [ln for ln in r.stdout.splitlines() if ln.startswith("obj ")]
    assert len(row) == 1
    cols = re.findall(r"(\S+) [0-9.]+s \(wall [0-9.]+\) [0-9.]+x", row[0])
    assert cols == ["native", "run@0", "run@1"]


def test_one_build_keeps_plain_columns(pmemu_bin):
    r = subprocess.run([sys.executable, str(BENCH), "--pmemu", pmemu_bin,
                        "--benches", "obj", "--modes", "native,run",
                        "--repeat", "1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "# @0" not in r.stdout
    row = [ln for ln in r.stdout.splitlines() if ln.startswith("obj ")][0]
    cols = re.findall(r"(\S+) [0-9.]+s \(wall [0-9.]+\) [0-9.]+x", row)
    assert cols == ["native", "run"]


def test_args_replace_a_programs_defaults(pmemu_bin):
    """--args obj=300: bench_obj runs 300 transactions; the row says so"""
    r = subprocess.run([sys.executable, str(BENCH), "--pmemu", pmemu_bin,
                        "--benches", "obj", "--modes", "native,run",
                        "--repeat", "1", "--args", "obj=300"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("obj 300 ")]


def test_args_of_an_unknown_program_stop(pmemu_bin):
    r = subprocess.run([sys.executable, str(BENCH), "--pmemu", pmemu_bin,
                        "--benches", "obj", "--args", "nosuch=1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 2
    assert "unknown bench nosuch" in r.stderr


def test_each_build_brings_its_plugin(tmp_path):
    """a build's plugin modes use the plugin beside its pmemu (plugin and
    runtime change together); --plugin one for all"""
    sys.path.insert(0, str(BENCH.parent))
    import run_bench
    own = tmp_path / "b" / "lib" / "pmemu-gcc.so"
    own.parent.mkdir(parents=True)
    own.write_bytes(b"")
    pmemu = str(tmp_path / "b" / "bin" / "pmemu")
    args = type("A", (), {"plugin": None})()
    assert run_bench.plugin_of(args, pmemu) == str(own)
    args.plugin = "/x/pmemu-gcc.so"
    assert run_bench.plugin_of(args, pmemu) == "/x/pmemu-gcc.so"
