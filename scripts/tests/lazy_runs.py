"""lazy_runs.py -- what the `--explore lazy` tests of one crash point share
(test_explore_lazy_step.py, test_explore_lazy_emul.py): a trace leaving
lines of one image in flight, a lazy explore of it with a check, and the
runs the report counts at its point."""
import json
import os
import subprocess

from explore_trace import Trace

PMEMU = os.environ.get("PMEMU", "pmemu")


def build_check(d, source, *flags):
    """the check program of C source, compiled into d with flags"""
    (d / "check.c").write_text(source)
    exe = d / "check"
    subprocess.run(["cc", "-O1", "-o", str(exe), str(d / "check.c")] +
                   list(flags), check=True)
    return str(exe)


def in_flight_trace(d, size, offsets):
    """a trace of an image of size bytes whose lines at offsets are
    stored (line i: bytes i + 1) and flushed, not fenced, at one crash
    point: 2 outcomes each, lost or stored"""
    media = d / "pool.img"
    media.write_bytes(b"\0" * size)
    t = Trace()
    t.region(str(media), size)
    for i, off in enumerate(offsets):
        t.store(off, bytes([i + 1]) * 64, site=10 + i)
        t.clwb(off, site=20)     # in flight at the fence
    t.sfence(site=30)
    t.end()
    return t.write(d / "t.trace")


def explore_lazy(trace, check, js, env=None):
    """`pmemu explore --explore lazy` with pessimistic,inflight: the
    finished process and its JSON report"""
    r = subprocess.run([PMEMU, "explore", "--explore", "lazy", "--trace",
                        str(trace), "--strategy", "pessimistic,inflight",
                        "--no-progress", "--no-explain", "--jobs", "2",
                        "--check", check, "--json", str(js)],
                       capture_output=True, text=True, env=env)
    return r, json.loads(js.read_text())


def runs_at_one_point(rep):
    """the most runs at one crash point (the report's note)"""
    note = [n for n in rep["notes"] if "most at one crash point" in n]
    assert note, rep["notes"]
    return int(note[0].split("most at one crash point: ")[1].split()[0])
