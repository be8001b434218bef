"""test_shim_exec.py -- a program that execs itself in one run and trace.

exec_self.c writes and persists page 0, execs itself; the new image checks
it sees that store (exec is a clean shutdown: the old image's views reach
the media), then writes page 1 and a commit flag. Both images write to one
findings file / trace: the new image joins it with ids of its own (sites
from 1 << 16, modules from 1 << 10), so every finding and every explained
store names the right image's source line.
"""
import collections
import re
import subprocess
import sys

from test_shim_run import PROGS, clean_env, line_of, run

SRC = "exec_self.c"
CHECK = ("import sys; d = open(sys.argv[1], 'rb').read(); "
         "sys.exit(1 if len(d) > 64 and d[64] == 1 and "
         "not d[4096:].startswith(b'second') else 0)")


def where(tag):
    return f"({SRC}:{line_of(SRC, tag)})"


def test_correct_twin_sees_its_first_image(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "exec_self_ok", "--error-exitcode=9")
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines() == ["pmemu: no findings"], res.stderr


def test_buggy_twin_findings_of_both_images(pmemu_bin, tmp_path):
    res = run(pmemu_bin, tmp_path, "exec_self_bad", "--error-exitcode=9")
    assert res.returncode == 9, res.stderr
    batches = res.stderr.split("pmemu: unpersisted stores:")[1:]
    assert len(batches) == 2, res.stderr
    assert "not durable at exec in process" in batches[0], res.stderr
    assert f"at first {where('FIRST')}" in batches[0], res.stderr
    assert where("SECOND") not in batches[0], res.stderr
    assert "not durable at exit" in batches[1], res.stderr
    assert f"at second {where('SECOND')}" in batches[1], res.stderr


def test_one_trace_with_distinct_ids(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    trace = tmp_path / "trace"
    rec = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(pm), "--",
                          str(PROGS / "exec_self_bad"), str(pm / "pool")],
                         capture_output=True, text=True, env=clean_env())
    assert rec.returncode == 0, rec.stderr
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True).stdout
    sites = re.findall(r" site +tid=\d+ site=0 site=(\d+) ", dump)
    modules = re.findall(r" module +tid=\d+ site=0 module=(\d+) ", dump)
    for ids in (sites, modules):
        dup = [i for i, n in collections.Counter(ids).items() if n > 1]
        assert not dup, dump
    assert any(int(s) > 1 << 16 for s in sites), dump
    assert any(int(m) >= 1 << 10 for m in modules), dump
    # one region: the pool keeps its id in the new image
    regions = set(re.findall(r" region +tid=\d+ site=0 region=(\d+) ", dump))
    assert regions == {"0"}, dump
    assert dump.rstrip().splitlines()[-1].split()[1] == "end", dump


def explore(pmemu_bin, tmp_path, prog):
    pm = tmp_path / "pmem"
    pm.mkdir()
    check = f"{sys.executable} -c \"{CHECK}\" {{pmem}}"
    return subprocess.run([pmemu_bin, "explore", "--no-progress",
                           "--strategy", "all", "--pmem-dir", str(pm),
                           "--check", check, "--", str(PROGS / prog),
                           str(pm / "pool")],
                          capture_output=True, text=True,
                          env=clean_env(TMPDIR=str(tmp_path)), timeout=600)


def test_explore_correct_twin(pmemu_bin, tmp_path):
    res = explore(pmemu_bin, tmp_path, "exec_self_ok")
    assert res.returncode == 0, res.stdout + res.stderr


def test_explore_names_the_second_images_lines(pmemu_bin, tmp_path):
    res = explore(pmemu_bin, tmp_path, "exec_self_bad")
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"at second {where('FLAG')}" in res.stdout, res.stdout
    assert f"stored at second {where('FLAG')}" in res.stdout, res.stdout
    assert where("FIRST") not in res.stdout, res.stdout
