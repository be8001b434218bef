"""test_platform_devdax_share.py -- two processes started apart under one
pmemu run (a shell runs a writer in the background and a reader) map one
device DAX, dax0.0 (issue 13, item 2): they share its view, so the reader
sees the writer's stores at once, and the trace has both processes'
events on one region, so explore's crash states are those of the combined
history. progs/devdax_share.c: the writer stores "hello" (persisted, or
not: the buggy twin) and a persisted ready byte; the reader waits for it,
then persists a flag on another page that says it saw "hello"."""
import os
import subprocess
import sys

import pytest

from test_explore_programs import PMEMU, build_progs

SRC = os.path.join(os.path.dirname(__file__), "progs", "devdax_share.c")
PAIR = '"$0" write-$1 "$2" "$3" & "$0" read "$2" "$3"; wait'


def line_of(tag):
    with open(SRC) as f:
        for n, text in enumerate(f, 1):
            if f"/* {tag} */" in text:
                return n
    raise AssertionError(tag)


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("devdax_share",))["devdax_share"]


def pair(prog, twin, pm, sync):
    """the writer (twin: flush or noflush) and the reader, run apart"""
    return ["sh", "-c", PAIR, prog, twin, str(pm / "dax0.0"), str(sync)]


def env(tmp_path):
    views = tmp_path / "views"
    views.mkdir(exist_ok=True)
    return dict(os.environ, TMPDIR=str(tmp_path), PMEMU_TMPDIR=str(views))


@pytest.mark.parametrize("twin", ["flush", "noflush"])
def test_reader_sees_the_writers_stores(tmp_path, prog, twin):
    pm = tmp_path / "pm"
    pm.mkdir()
    r = subprocess.run([PMEMU, "run", "--pmem-dir", str(pm), "--devdax",
                        "dax0.0:2M", "--error-exitcode=9", "--",
                        *pair(prog, twin, pm, tmp_path)],
                       capture_output=True, text=True, env=env(tmp_path))
    assert r.stdout == "saw hello\n", r.stdout + r.stderr
    where = f"devdax_share.c:{line_of('DATA')}"
    if twin == "flush":
        assert r.returncode == 0, r.stderr
        assert where not in r.stderr, r.stderr
    else:
        # the unflushed "hello" is the writer's, reported once
        assert r.returncode == 9, r.stderr
        assert r.stderr.count(where) == 1, r.stderr
        assert "not durable at exit" in r.stderr, r.stderr
    media = (pm / "dax0.0").read_bytes()
    assert media.startswith(b"hello\0") and media[4096] == 1
    assert os.listdir(tmp_path / "views") == []  # nothing left behind


@pytest.mark.parametrize("twin,verdict", [("flush", 0), ("noflush", 1)])
def test_explore_the_combined_history(tmp_path, prog, twin, verdict):
    pm = tmp_path / "pm"
    pm.mkdir()
    sync = tmp_path / "sync"
    sync.mkdir()
    r = subprocess.run([PMEMU, "explore", "--no-progress", "--no-explain",
                        "--pmem-dir", str(pm), "--devdax", "dax0.0:2M",
                        "--check", f"{prog} check {{pmem}}", "--",
                        *pair(prog, twin, pm, sync)],
                       capture_output=True, text=True, env=env(tmp_path))
    assert "saw hello" in r.stdout, r.stdout + r.stderr
    assert r.returncode == verdict, r.stdout + r.stderr
    if verdict:
        assert "pmemu: FAIL" in r.stdout, r.stdout
