"""test_cmd_bench.py -- cmd_bench.py (docs/performance.md's commands of
one's own programs): a line per command, in order, and --fresh emptying
its path before every run. Never timed: the figures are only checked to
be there."""
import re
import subprocess
import sys

from conftest import SOURCE

BENCH = SOURCE / "scripts" / "bench" / "cmd_bench.py"


def bench(*args):
    return subprocess.run([sys.executable, str(BENCH), *args],
                          capture_output=True, text=True, timeout=600)


def test_a_median_line_per_command(tmp_path):
    mark = tmp_path / "d" / "mark"
    mark.parent.mkdir()
    # the second command fails if the first one's file is still there:
    # --fresh empties the directory before every run
    r = bench("--repeat", "3", "--fresh", str(mark.parent),
              "sh", "-c", f"test ! -e {mark} && touch {mark}", "::",
              "sh", "-c", f"test ! -e {mark}")
    assert r.returncode == 0, r.stderr
    rows = re.findall(r"^ +[0-9.]+ ms \(wall [0-9.]+\)  (.*)$", r.stdout,
                      re.M)
    assert rows == [f"sh -c test ! -e {mark} && touch {mark}",
                    f"sh -c test ! -e {mark}"], r.stdout
    assert "median of 3 interleaved runs" in r.stdout


def test_a_failing_command_or_no_command_is_an_error():
    assert bench("--repeat", "1", "false").returncode != 0
    r = bench("--repeat", "1", "true", "::")
    assert r.returncode != 0 and "commands separated by ::" in r.stderr
