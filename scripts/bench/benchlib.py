"""benchlib.py -- what every side-by-side benchmark here does the same way:
build a bench_*.c program, run it with a fresh pool on /dev/shm and take
the CPU time of its whole process tree (user + sys from the children's
rusage) and its wall time, print the machine's load, take medians."""
import ctypes
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LIBS = ["-lpmem", "-lpmemobj"]


def build(src, out, flags=(), plugin=None, suffix=""):
    """gcc -O2 -g src (with -fplugin=plugin when given) into out."""
    out.mkdir(exist_ok=True)
    exe = out / (pathlib.Path(src).stem + suffix)
    cmd = ["gcc", "-O2", "-g", "-I", str(HERE), *flags]
    if plugin:
        cmd += [f"-fplugin={plugin}", "-I", str(ROOT / "include")]
    subprocess.run(cmd + ["-o", str(exe), str(HERE / src), *LIBS],
                   check=True)
    return exe


def clean_env(**extra):
    """The caller's environment without PMEMU_*, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMEMU_")}
    env.update(extra)
    return env


def become_subreaper():
    """Orphans of the measured tree (a process whose parent exited before
    it, never waited for) come to us instead of init, so that reaping
    them counts their CPU: without it `pmemu explore --jobs 2 --explore
    lazy` lost a quarter of its CPU from RUSAGE_CHILDREN."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_orphans():
    """Wait for every orphan the measured command left (all of them: an
    orphan still running when its tree ended is still its CPU)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def timed(argv, env):
    """(cpu, wall, result) of argv: cpu is user + sys of it and every
    process of its tree (become_subreaper, reap_orphans)."""
    become_subreaper()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(argv, env=env, capture_output=True, text=True)
    reap_orphans()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + \
        (after.ru_stime - before.ru_stime)
    return cpu, wall, res


def run_tree(cmd, pool_dir, env, args=()):
    """(cpu, wall, result) of cmd POOL ARGS in a fresh pool_dir (timed)"""
    shutil.rmtree(pool_dir, ignore_errors=True)
    pool_dir.mkdir()
    return timed([*cmd, str(pool_dir / "pool"), *args], env)


def must_succeed(cmd, res):
    if res.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))}: exit {res.returncode}\n"
                 f"{res.stderr}")


def median(xs):
    return statistics.median(xs)


def load():
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def pmemu_default():
    return str(ROOT / "build" / "bin" / "pmemu")
