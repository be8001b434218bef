"""test_platform_devdax_share.py -- processes started apart under one
pmemu run (a shell runs a writer in the background and a reader) map one
device DAX, dax0.0 (issue 13, item 2), or one pmem file: they share its
view, so the reader sees the writer's stores at once, and the trace has
both processes' events on one region, so explore's crash states are those
of the combined history. progs/devdax_share.c: the writer stores "hello"
(persisted, or not: the buggy twin) and a persisted ready byte; the
reader waits for it, then persists a flag on another page that says it
saw "hello"."""
import os
import re
import signal
import subprocess
import time

import pytest

from test_explore_programs import PMEMU, build_progs, tagged_line

# the writer in the background, the reader; "exited" once the reader has
PAIR = '"$0" write-$1 "$2" "$3" & "$0" $4 "$2" "$3"; : > "$3/exited"; wait'
MIB2 = 2 << 20


def where():
    return f"writer (devdax_share.c:{tagged_line('devdax_share', 'DATA')})"


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("devdax_share",))["devdax_share"]


def make_dirs(tmp_path, name):
    """the pmem dir, the pmemu options that make `name` there, the sync
    dir, the environment (views in a directory of the test's)"""
    pm = tmp_path / "pm"
    pm.mkdir()
    opts = ["--pmem-dir", str(pm)]
    if name.startswith("dax"):
        opts += ["--devdax", f"{name}:2M"]
    else:
        with open(pm / name, "wb") as f:
            f.truncate(MIB2)
    sync = tmp_path / "sync"
    sync.mkdir()
    views = tmp_path / "views"
    views.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp_path), PMEMU_TMPDIR=str(views))
    return pm, opts, sync, env


def pair(prog, twin, dev, sync, reader="read"):
    """the writer (twin: flush, noflush, late) and the reader, run apart"""
    return ["sh", "-c", PAIR, prog, twin, str(dev), str(sync), reader]


@pytest.mark.parametrize("name", ["dax0.0", "pool"])
@pytest.mark.parametrize("twin", ["flush", "noflush"])
def test_reader_sees_the_writers_stores(tmp_path, prog, twin, name):
    pm, opts, sync, env = make_dirs(tmp_path, name)
    r = subprocess.run([PMEMU, "run", *opts, "--error-exitcode=9", "--",
                        *pair(prog, twin, pm / name, sync)],
                       capture_output=True, text=True, env=env)
    assert r.stdout == "saw hello\n", r.stdout + r.stderr
    if twin == "flush":
        assert r.returncode == 0, r.stderr
        assert r.stderr.splitlines() == ["pmemu: no findings"], r.stderr
    else:
        # the unflushed "hello" is the writer's, reported once
        assert r.returncode == 9, r.stderr
        assert r.stderr.count("devdax_share.c:") == 1, r.stderr
        assert f"at {where()}" in r.stderr, r.stderr
        assert "not durable at exit" in r.stderr, r.stderr
    media = (pm / name).read_bytes()
    assert media.startswith(b"hello\0") and media[4096] == 1
    assert os.listdir(tmp_path / "views") == []  # nothing left behind


def test_a_store_another_process_persists_is_durable(tmp_path, prog):
    # the reader persists the writer's "hello": the writer does not report
    # it (durable by its exit), nor the reader its flush as redundant (it
    # adopts the writer's store first: the run's table of pieces)
    pm, opts, sync, env = make_dirs(tmp_path, "dax0.0")
    r = subprocess.run([PMEMU, "run", *opts, "--error-exitcode=9", "--",
                        *pair(prog, "noflush", pm / "dax0.0", sync,
                              "persist")],
                       capture_output=True, text=True, env=env)
    assert r.stdout == "saw hello\n", r.stdout + r.stderr
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == ["pmemu: no findings"], r.stderr
    assert (pm / "dax0.0").read_bytes().startswith(b"hello\0")


# the writer's "hello" is never persisted; the writer exits first (the
# reader waits for it), or the reader does (the writer waits for it)
WRITER_FIRST = ('"$0" write-noflush "$1" "$2" & w=$!; '
                '"$0" peek-stay "$1" "$2" & r=$!; '
                'wait $w; : > "$2/wexited"; wait $r')
READER_FIRST = '"$0" write-stay "$1" "$2" & "$0" peek "$1" "$2"; ' \
               ': > "$2/exited"; wait'
# the shell (the run's first process) does not wait for the writer (nor
# does subprocess.run: the writer's output is not the pipes)
SHELL_FIRST = '"$0" write-stay "$1" "$2" >/dev/null 2>&1 & ' \
              '"$0" peek "$1" "$2"; :'


@pytest.mark.parametrize("cmd", [WRITER_FIRST, READER_FIRST, SHELL_FIRST],
                         ids=["writer-first", "reader-first", "shell-first"])
def test_a_store_nobody_persists_is_reported_once(tmp_path, prog, cmd):
    pm, opts, sync, env = make_dirs(tmp_path, "dax0.0")
    r = subprocess.run([PMEMU, "run", *opts, "--error-exitcode=9", "--",
                        "sh", "-c", cmd, prog, str(pm / "dax0.0"),
                        str(sync)],
                       capture_output=True, text=True, env=env)
    (sync / "exited").touch()  # shell-first: the writer may end now
    assert r.stdout == "saw hello\n", r.stdout + r.stderr
    assert r.returncode == 9, r.stderr
    assert r.stderr.count("devdax_share.c:") == 1, r.stderr
    assert f"at {where()}" in r.stderr, r.stderr
    assert "not durable at exit" in r.stderr, r.stderr


def test_the_first_process_exec_is_not_the_runs_end(tmp_path, prog):
    # the shell (the run's first process) sees the writer's "hello", then
    # execs a program that persists it: no finding (the shell's exec does
    # not report the writer's store as left unpersisted at the run's end)
    pm, opts, sync, env = make_dirs(tmp_path, "dax0.0")
    cmd = ('"$0" write-stay "$1" "$2" >/dev/null 2>&1 & '
           '"$0" peek "$1" "$2"; '
           'exec "$0" persist "$1" "$2"')
    r = subprocess.run([PMEMU, "run", *opts, "--error-exitcode=9", "--",
                        "sh", "-c", cmd, prog, str(pm / "dax0.0"),
                        str(sync)],
                       capture_output=True, text=True, env=env)
    (sync / "exited").touch()  # the writer may end now
    assert r.stdout == "saw hello\nsaw hello\n", r.stdout + r.stderr
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == ["pmemu: no findings"], r.stderr


def test_one_region_in_the_trace(tmp_path, prog):
    pm, opts, sync, env = make_dirs(tmp_path, "dax0.0")
    trace = tmp_path / "trace"
    r = subprocess.run([PMEMU, "record", "-o", str(trace), *opts, "--",
                        *pair(prog, "flush", pm / "dax0.0", sync)],
                       capture_output=True, text=True, env=env)
    assert r.stdout == "saw hello\n", r.stdout + r.stderr
    dump = subprocess.run([PMEMU, "trace-dump", str(trace)],
                          capture_output=True, text=True).stdout
    regions = re.findall(r" region +tid=(\d+) site=0 region=(\d+) ", dump)
    assert len({tid for tid, _ in regions}) == 2, dump  # both processes
    assert len({rid for _, rid in regions}) == 1, dump  # one file


def explore(tmp_path, prog, twin, reader="read", name="dax0.0"):
    pm, opts, sync, env = make_dirs(tmp_path, name)
    return subprocess.run([PMEMU, "explore", "--no-progress", *opts,
                           "--check", f"{prog} check {{pmem}}", "--",
                           *pair(prog, twin, pm / name, sync, reader)],
                          capture_output=True, text=True, env=env)


@pytest.mark.parametrize("name", ["dax0.0", "pool"])
def test_explore_correct_twin(tmp_path, prog, name):
    r = explore(tmp_path, prog, "flush", name=name)
    assert "saw hello" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", ["dax0.0", "pool"])
def test_explore_buggy_twin_names_the_writers_store(tmp_path, prog, name):
    # the reader's durable flag without the writer's data
    r = explore(tmp_path, prog, "noflush", name=name)
    assert "saw hello" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 1, r.stdout + r.stderr
    assert "pmemu: FAIL" in r.stdout, r.stdout
    assert f"stored at {where()}" in r.stdout, r.stdout


def test_a_process_that_exits_leaves_the_view_to_the_other(tmp_path, prog):
    # the reader maps the device, sees "hello" and exits; its exit is not
    # a clean shutdown of the device, which the writer still maps: the
    # writer's flag, persisted later, can be durable without the data
    r = explore(tmp_path, prog, "late", reader="peek")
    assert "saw hello" in r.stdout, r.stdout + r.stderr
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"stored at {where()}" in r.stdout, r.stdout


def test_sigkill_leaves_nothing_behind(tmp_path, prog):
    # killed while the writer still maps the device: nothing in
    # PMEMU_TMPDIR, and the media holds what was durable (the persisted
    # ready byte, not the unflushed "hello")
    pm, opts, sync, env = make_dirs(tmp_path, "dax0.0")
    never = tmp_path / "never"  # the writer waits for its done in vain
    never.mkdir()
    cmd = '"$0" write-noflush "$1" "$2" & "$0" peek "$1" "$3"; wait'
    p = subprocess.Popen([PMEMU, "run", *opts, "--", "sh", "-c", cmd, prog,
                          str(pm / "dax0.0"), str(never), str(sync)],
                         stdout=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    try:
        assert p.stdout.readline() == "saw hello\n"
        # the reader sees ready=1 in the view as soon as it is stored,
        # before the writer's fence writes it to the media: wait for that
        # (5 s at most) so the kill comes after it
        for _ in range(500):
            if (pm / "dax0.0").read_bytes()[64] == 1:
                break
            time.sleep(0.01)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        p.stdout.close()
    assert os.listdir(tmp_path / "views") == []
    media = (pm / "dax0.0").read_bytes()
    assert media[:6] == bytes(6) and media[64] == 1
