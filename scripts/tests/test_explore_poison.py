"""test_explore_poison.py -- --strategy poison (issue 13, item 4): a crash
may leave a line whose write-back was in flight poisoned, and the image
of such a state carries it as a bad block (docs/explore.md, "Poison").
progs/poison_twin.c writes a record, flushes it and fences; its `read`
recovery is the buggy twin (loads the record, no thought of bad blocks),
`recover` the correct one (asks libpmem2's bad block API, clears)."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import BUILD, SOURCE

PMEMU = os.environ.get("PMEMU") or str(BUILD / "bin" / "pmemu")
LIBDIR = pathlib.Path(os.environ.get("PMEMU_LIBDIR") or BUILD / "lib")
PROG_SRC = SOURCE / "scripts" / "tests" / "progs" / "poison_twin.c"
SIGBUS = 7
POOL_LEN = 8192
REC_OFF = 0x1040


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    exe = tmp_path_factory.mktemp("progs") / "poison_twin"
    cmd = ["cc", "-O1", "-g", "-I", str(SOURCE / "include"),
           str(PROG_SRC), "-o", str(exe), "-lpmem", "-lpmem2"]
    plugin = LIBDIR / "pmemu-gcc.so"
    if plugin.exists():
        cmd.insert(1, "-fplugin=%s" % plugin)
    subprocess.run(cmd, check=True)
    return str(exe)


def source_line(text):
    """the line number of the first source line holding text"""
    for n, line in enumerate(PROG_SRC.read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(text)


def pmemu(*args):
    return subprocess.run([PMEMU, *map(str, args)], capture_output=True,
                          text=True)


def explore(tmp_path, twin, strategy, check, *opts):
    """records `twin POOL write` on a fresh pool and explores it: the
    process and its JSON report"""
    pm = tmp_path / "pm"
    pm.mkdir(exist_ok=True)
    (pm / "pool").write_bytes(bytes(POOL_LEN))
    out = tmp_path / "r.json"
    r = pmemu("explore", "--no-progress", "--strategy", strategy,
              "--pmem-dir", pm, "--json", out, "--check", check, *opts,
              "--", twin, pm / "pool", "write")
    return r, json.loads(out.read_text()) if out.exists() else None


def check_of(twin, tmp_path, how):
    """a check under the shim (no {pmem}): the program's own path"""
    return "%s %s %s" % (twin, tmp_path / "pm" / "pool", how)


def fence_point(rep):
    """the crash point before the fence after the record's flush"""
    line = source_line("pmem_drain();")
    pts = [p for p in rep["points_failing"]
           if any(f["line"] == line for f in p["site"]["frames"])]
    assert len(pts) == 1, rep["points_failing"]
    return pts[0]


def test_buggy_twin_dies_of_sigbus_on_a_poisoned_record(tmp_path, twin):
    r, rep = explore(tmp_path, twin, "inflight,poison",
                     check_of(twin, tmp_path, "read"))
    assert r.returncode == 1, r.stdout + r.stderr
    first = rep["first_failure"]
    assert first["state"].endswith(":0.1040=p")
    assert first["result"]["kind"] == "signal"
    assert first["result"]["signal"] == SIGBUS
    lines = first["explanation"]["lines"]
    assert [(l["off"], l["reason"]) for l in lines] == [("0x1040",
                                                          "poisoned")]
    site = lines[0]["store_site"]["frames"][0]
    assert site["file"].endswith("/poison_twin.c")
    assert site["line"] == source_line("rec->magic = MAGIC;")
    assert ("pool+0x1040 (64 bytes): poisoned at the crash: its "
            "write-back was in flight") in r.stdout
    assert "pmemu: SIGBUS: the program read a poisoned line" in r.stdout
    # the one failing state of the point: LOST and WB pass
    assert fence_point(rep)["failing_states"] == 1
    assert rep["options"]["strategy"] == ["inflight", "poison"]


def test_buggy_twin_passes_without_poison(tmp_path, twin):
    r, rep = explore(tmp_path, twin, "inflight",
                     check_of(twin, tmp_path, "read"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert rep["verdict"] == "pass"


def test_correct_twin_clears_the_bad_block_and_passes(tmp_path, twin):
    log = tmp_path / "log"
    check = "sh -c '%s >> %s'" % (check_of(twin, tmp_path, "recover"), log)
    r, rep = explore(tmp_path, twin, "inflight,poison", check)
    assert r.returncode == 0, r.stdout + r.stderr
    # libpmem2 listed the poisoned line (its 512-byte sector) in exactly
    # the poisoned state's check
    seen = log.read_text().splitlines()
    assert seen.count("bad block at 4096, 512 bytes: cleared") == 1, seen
    assert not any("poison" in n for n in rep["notes"]), rep["notes"]


def test_state_counts_with_and_without_poison(tmp_path, twin):
    """the point before the fence has one open line, its write-back in
    flight: LOST (pessimistic), + WB 1 (inflight), + POISON (poison); the
    other points have no open line (one state each)"""
    counts = {}
    for strategy in ("pessimistic", "poison", "inflight",
                     "inflight,poison", "all", "all,poison"):
        r, rep = explore(tmp_path, twin, strategy, "true {pmem}")
        assert r.returncode == 0, r.stdout + r.stderr
        counts[strategy] = rep["counts"]["states"]
    base = counts["pessimistic"]
    assert counts["poison"] == base + 1
    assert counts["inflight"] == base + 1
    assert counts["inflight,poison"] == base + 2
    # `all` does not include poison
    assert counts["all,poison"] == counts["all"] + 1


def test_replay_rebuilds_the_image_and_its_bad_blocks(tmp_path, twin):
    r, rep = explore(tmp_path, twin, "poison",
                     check_of(twin, tmp_path, "read"))
    assert r.returncode == 1, r.stdout + r.stderr
    state = rep["first_failure"]["state"]
    trace = rep["trace"]
    media = pathlib.Path(trace).parent / "media"
    out = tmp_path / "img"
    r = pmemu("replay", "--trace", trace, "--pmem-dir", media, "--state",
              state, "-o", out)
    assert r.returncode == 0, r.stderr
    listed = tmp_path / "img.pmemu" / "badblocks"
    assert listed.read_text() == "pool %d 64\n" % REC_OFF
    # a later run on the image sees the bad block where the check did
    r = pmemu("run", "-q", "--pmem-dir", out, "--", twin, out / "pool",
              "read")
    assert r.returncode == 128 + SIGBUS, r.stdout + r.stderr
    r = pmemu("run", "-q", "--pmem-dir", out, "--", twin, out / "pool",
              "recover")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "bad block at 4096, 512 bytes: cleared" in r.stdout
    # the same point without poison: no list left behind
    r = pmemu("replay", "--trace", trace, "--pmem-dir", media, "--state",
              state.split(":")[0], "-o", out)
    assert r.returncode == 0, r.stderr
    assert not listed.exists()


def test_a_check_outside_the_shim_is_told_it_cannot_see_poison(tmp_path,
                                                               twin):
    r, rep = explore(tmp_path, twin, "poison", "%s {pmem} read" % twin)
    notes = [n for n in rep["notes"] if n.startswith("--strategy poison")]
    assert len(notes) == 1, rep["notes"]
    assert "1 image had poisoned lines" in notes[0]
    assert "outside pmemu's shim" in notes[0]


def test_lazy_falls_back_to_eager_with_poison(tmp_path, twin):
    r, rep = explore(tmp_path, twin, "poison", "%s {pmem} read" % twin,
                     "--explore", "lazy")
    assert any(n.startswith("--explore lazy: --strategy poison")
               and "every state was explored eagerly" in n
               for n in rep["notes"]), rep["notes"]
    # eager: the poisoned state was checked (the pattern is no record)
    assert r.returncode == 1 and rep["first_failure"]["state"].endswith(
        "=p"), r.stdout


def test_bad_strategy_list_is_one_line_exit_2(tmp_path, twin):
    r = pmemu("explore", "--strategy", "poison,bogus", "--check", "true",
              "--", twin, tmp_path / "pool", "write")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("pmemu: error: --strategy poison,bogus: "
                               "expected pessimistic, inflight, eviction, "
                               "torn, poison or all")


@pytest.fixture(scope="module")
def sds_pool(tmp_path_factory):
    exe = tmp_path_factory.mktemp("obj") / "sds_pool"
    subprocess.run(["cc", "-O1", "-g", str(PROG_SRC.parent / "sds_pool.c"),
                    "-o", str(exe), "-lpmemobj"], check=True)
    return str(exe)


@pytest.mark.parametrize("check", ["open", "pmempool"])
def test_libpmemobj_and_pmempool_see_a_poisoned_line(tmp_path, sds_pool,
                                                    check):
    """--ndctl on: libpmemobj's open refuses a pool a crash left with a
    bad block (EIO), pmempool check reports it; without poison, a
    transaction's crash states all open"""
    pm = tmp_path / "pm"
    pm.mkdir()
    env = dict(os.environ, PMEMOBJ_CONF="sds.at_create=0")
    pool = pm / "pool"

    def explore(strategy):
        subprocess.run([PMEMU, "run", "-q", "--pmem-dir", str(pm), "--ndctl",
                        "on", "--", sds_pool, str(pool), "create"],
                       check=True, capture_output=True, env=env)
        cmd = ("%s %s open" % (sds_pool, pool) if check == "open" else
               "pmempool check %s" % pool)
        return subprocess.run([PMEMU, "explore", "--no-progress",
                               "--no-explain", "--ndctl", "on",
                               "--strategy", strategy, "--pmem-dir",
                               str(pm), "--check", cmd, "--", sds_pool,
                               str(pool), "update"], capture_output=True,
                              text=True, env=env)
    r = explore("inflight")
    assert r.returncode == 0, r.stdout + r.stderr
    pool.unlink()
    r = explore("inflight,poison")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "=p\n" in r.stdout
    assert ("pool set contains bad blocks and cannot be opened" if
            check == "open" else "poolset contains bad blocks") in r.stdout
