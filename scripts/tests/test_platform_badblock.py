"""test_platform_badblock.py -- poisoned media (issue 13, item 4): a load
of a bad block raises SIGBUS (BUS_MCEERR_AR) with its address, a store of
the whole line, a write or a punched hole clears it, and the list is kept
beside the pmem dir for later runs. progs/badblock.c is the program: its
`read` mode is the buggy twin (no SIGBUS handler), `recover` the correct
one (handles SIGBUS and rewrites the lost line)."""
import json
import os
import pathlib
import subprocess

import pytest

from test_explore_programs import PMEMU, PROGS as PROGS_DIR, build_progs

SIGBUS_EXIT = 128 + 7
PROGS = pathlib.Path(PROGS_DIR)


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    out = tmp_path_factory.mktemp("progs")
    built = build_progs(out, ("badblock",))
    # libpmem2's bad block API: linked with -lpmem2
    exe = out / "badblock2"
    subprocess.run(["cc", "-O1", "-g", str(PROGS / "badblock2.c"), "-o",
                    str(exe), "-lpmem2"], check=True)
    built["badblock2"] = str(exe)
    # a libpmemobj pool (with test_platform_usc.py)
    exe = out / "sds_pool"
    subprocess.run(["cc", "-O1", "-g", str(PROGS / "sds_pool.c"), "-o",
                    str(exe), "-lpmemobj"], check=True)
    built["sds_pool"] = str(exe)
    return built


@pytest.fixture(scope="module")
def prog(progs):
    return progs["badblock"]


@pytest.fixture(scope="module")
def prog2(progs):
    return progs["badblock2"]


def pmemu(*args):
    return subprocess.run([PMEMU, *args], capture_output=True, text=True)


@pytest.fixture
def pool(tmp_path, prog):
    """a pmem dir holding `pool` with its record at 0x1040"""
    pm = tmp_path / "pm"
    pm.mkdir()
    r = pmemu("run", "-q", "--pmem-dir", str(pm), "--", prog,
              str(pm / "pool"), "create")
    assert r.returncode == 0, r.stderr
    return pm


def run(pm, prog, how, *opts):
    return pmemu("run", "-q", "--pmem-dir", str(pm), *opts, "--", prog,
                 str(pm / "pool"), how)


def badblocks(pm):
    """the list pmemu keeps beside the pmem dir"""
    f = pm.parent / (pm.name + ".pmemu") / "badblocks"
    return f.read_text().split("\n")[:-1] if f.exists() else []


def test_buggy_twin_dies_of_sigbus_and_the_report_names_the_line(pool,
                                                                 prog):
    r = run(pool, prog, "read", "--badblock", "pool:0x1040:64")
    assert r.returncode == SIGBUS_EXIT, r.stdout + r.stderr
    assert "record" not in r.stdout
    assert ("pmemu: SIGBUS: the program read a poisoned line (a bad "
            "block) of pool at 0x1040 and does not handle SIGBUS "
            "(BUS_MCEERR_AR)") in r.stderr
    # kept for the next run, which still cannot read it
    assert badblocks(pool) == ["pool 4160 64"]
    assert run(pool, prog, "read").returncode == SIGBUS_EXIT


def test_correct_twin_handles_sigbus_and_repairs(pool, prog):
    r = run(pool, prog, "recover", "--badblock", "pool:4161:2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "sigbus code=BUS_MCEERR_AR addr=+0x1040 lsb=12", "record 42"]
    # the full-line store cleared it: later runs read the repaired record
    assert badblocks(pool) == []
    assert run(pool, prog, "read").stdout == "record 42\n"


def test_without_poison_the_record_reads(pool, prog):
    assert run(pool, prog, "read").stdout == "record 7\n"


def test_other_lines_of_the_page_load_and_store(pool, prog):
    r = run(pool, prog, "neighbour", "--badblock", "pool:0x1040:64")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "neighbour 5\n"
    assert badblocks(pool) == ["pool 4160 64"]
    media = (pool / "pool").read_bytes()
    assert media[0x1080] == 5


def test_a_partial_store_leaves_the_poison(pool, prog):
    r = run(pool, prog, "partial", "--badblock", "pool:0x1040:64")
    assert r.stdout.splitlines() == [
        "sigbus code=BUS_MCEERR_AR addr=+0x1040 lsb=12", "record -1"]
    assert badblocks(pool) == ["pool 4160 64"]


@pytest.mark.parametrize("how,record", [("pwrite", 9), ("punch", 0)])
def test_write_and_punched_hole_clear_it(pool, prog, how, record):
    r = run(pool, prog, how, "--badblock", "pool:0x1040:64")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "record %d\n" % record
    assert badblocks(pool) == []


def test_read_of_a_bad_block_stops_there(pool, prog):
    r = run(pool, prog, "preadbad", "--badblock", "pool:0x1040:64")
    assert r.stdout.splitlines() == ["pread line: -1 EIO",
                                     "pread before: 64"]
    assert badblocks(pool) == ["pool 4160 64"]


def test_explore_checks_see_the_bad_blocks(pool, prog):
    def explore(check):
        return pmemu("explore", "--no-progress", "--no-explain",
                     "--pmem-dir", str(pool), "--badblock",
                     "pool:0x1040:64", "--check",
                     "%s %s %s" % (prog, pool / "pool", check), "--",
                     prog, str(pool / "pool"), "neighbour")
    r = explore("read")  # the check dies of SIGBUS: the report says so
    assert r.returncode == 1, r.stdout + r.stderr
    assert "check: killed by signal 7 (Bus error)" in r.stdout
    assert "| pmemu: SIGBUS: the program read a poisoned line (a bad " \
        "block) of pool at 0x1040" in r.stdout
    r = explore("recover")
    assert r.returncode == 0, r.stdout + r.stderr
    # each check repaired its own image, not the device
    assert badblocks(pool) == ["pool 4160 64"]


def test_ignored_sigbus_still_kills(pool, prog):
    r = run(pool, prog, "ignore", "--badblock", "pool:0x1040:8")
    assert r.returncode == SIGBUS_EXIT, r.stdout + r.stderr


def test_pmemu_poison_api(pool, prog):
    r = run(pool, prog, "poison")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "sigbus code=BUS_MCEERR_AR addr=+0x1040 lsb=12", "record 42"]


def test_badblocks_are_kept_per_file_and_merged(pool, prog):
    r = run(pool, prog, "create", "--badblock", "pool:0:64",
            "--badblock", "pool:128:100")
    assert r.returncode == 0, r.stderr
    assert badblocks(pool) == ["pool 0 64", "pool 128 64", "pool 192 64"]


@pytest.mark.parametrize("spec,message", [
    ("pool:8190:4", "--badblock pool:8190:4: outside the file (pool is "
     "8192 bytes)"),
    ("nope:0:4", "--badblock nope:0:4: no file 'nope' in the pmem dir "),
    ("pool:x:4", "--badblock / PMEMU_BADBLOCK='pool:x:4': expected "
     "FILE:OFFSET:LEN"),
    ("pool:0", "--badblock / PMEMU_BADBLOCK='pool:0': expected"),
    ("pool:0:0", "--badblock / PMEMU_BADBLOCK='pool:0:0': expected"),
    ("../pool:0:4", "PMEMU_BADBLOCK='../pool:0:4': expected"),
])
def test_bad_badblock_exits_2_with_one_line(pool, prog, spec, message):
    r = run(pool, prog, "read", "--badblock", spec)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pmemu: error: ")
    assert message in lines[0]
    assert badblocks(pool) == []


def test_pmem2_badblock_api_lists_them_in_sectors(pool, prog2):
    r = run(pool, prog2, "list", "--badblock", "pool:0x1040:64",
            "--badblock", "pool:100:8", "--badblock", "pool:0x1100:64")
    assert r.returncode == 0, r.stderr
    # 512-byte sectors, in bytes of the file, as libpmem2 gives them
    assert r.stdout.splitlines() == ["badblock offset=0 length=512",
                                     "badblock offset=4096 length=512"]


def test_pmem2_buggy_twin_reads_without_checking(pool, prog2):
    r = run(pool, prog2, "nocheck", "--badblock", "pool:0x1040:64")
    assert r.returncode == SIGBUS_EXIT
    assert "poisoned line (a bad block) of pool at 0x1040" in r.stderr


def test_pmem2_correct_twin_checks_clears_and_restores(pool, prog2):
    r = run(pool, prog2, "check", "--badblock", "pool:0x1040:64")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["badblock offset=4096 length=512",
                                     "record 42"]
    assert badblocks(pool) == []
    assert run(pool, prog2, "nocheck").stdout == "record 42\n"
    assert run(pool, prog2, "list").stdout == ""


def test_pmem2_outside_pmemu_is_the_real_library(pool, prog2):
    run(pool, prog2, "list", "--badblock", "pool:0:1")
    r = subprocess.run([prog2, str(pool / "pool"), "list"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == ""


def test_list_media_errors_as_ndctl(pool, prog):
    def namespace(*opts):
        r = pmemu("list", "--pmem-dir", str(pool), *opts)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)[0]["namespaces"][0]
    empty = namespace("--media-errors")
    assert (empty["badblock_count"], empty["badblocks"]) == (0, [])
    run(pool, prog, "create", "--badblock", "pool:0x1040:64",
        "--badblock", "pool:0x1200:1024", "--badblock", "pool:100:8")
    ns = namespace("--media-errors")
    assert ns["badblock_count"] == 4
    assert ns["badblocks"] == [{"offset": 0, "length": 1},
                               {"offset": 8, "length": 3}]
    assert "badblocks" not in namespace()


def test_libpmemobj_open_refuses_a_pool_with_bad_blocks(tmp_path, progs):
    """PMDK's check at open (the CHECK_BAD_BLOCKS feature, on by default
    with libndctl): pmemobj_open(3) fails with EIO, and pmempool check
    says so; libpmemobj finds them through libndctl, not libpmem2's
    exported API (its own copy, src/libpmem2/badblocks_ndctl.c), so the
    namespace is shown to libndctl (--ndctl on; --badblock implies it)"""
    pm = tmp_path / "pm"
    pm.mkdir()
    env = dict(os.environ, PMEMOBJ_CONF="sds.at_create=0")

    def obj(how, *opts):
        return subprocess.run([PMEMU, "run", "-q", "--pmem-dir", str(pm),
                               "--ndctl", "on", *opts, "--",
                               progs["sds_pool"],
                               str(pm / "pool"), how],
                              capture_output=True, text=True, env=env)
    assert obj("create").returncode == 0
    assert obj("open").stdout == "counter 0\n"
    r = obj("open", "--badblock", "pool:0x400000:64")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == (
        "pmemobj_open: pool set contains bad blocks and cannot be opened, "
        "run 'pmempool sync --bad-blocks' utility to try to recover the "
        "pool -- '%s' (errno Input/output error)\n" % (pm / "pool"))
    r = pmemu("run", "-q", "--pmem-dir", str(pm), "--ndctl", "on", "--",
              "pmempool", "check", str(pm / "pool"))
    assert r.returncode == 1
    assert "poolset contains bad blocks" in r.stdout
    # another file's bad blocks are not this pool's: each file has its
    # own place in the emulated namespace (its FIEMAP extent)
    (pm / "other").write_bytes(bytes(8192))

    def info(*opts):
        r = pmemu("run", "-q", "--pmem-dir", str(pm), "--ndctl", "on",
                  *opts, "--", "pmempool", "info", "--bad-blocks=yes",
                  str(pm / "pool"))
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        return lines[lines.index("bad blocks:") + 2]
    # 512-byte sectors, rounded out to the file's 4 KiB blocks
    assert info().split() == ["8192", "8"]
    assert info("--badblock", "other:0:8192").split() == ["8192", "8"]
