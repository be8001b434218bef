"""test_platform_devdax_pmem2.py -- libpmem2's device DAX source on an
emulated device DAX (issue 13, item 2): pmem2_source_from_fd tells it by
the realpath of /sys/dev/char/<major>:<minor>/subsystem, reads its size
and alignment from libndctl's devdax namespace (both emulated, docs/shim.md
"Device DAX"), and pmem2_map_new maps the whole device
(progs/devdax_pmem2.c). libpmemobj, which carries its own copy of that
code, makes a pool on the device (progs/sds_pool.c), and explore finds a
transaction's bug there (progs/tx_add_late.c)."""
import os
import subprocess
import sys

import pytest

from test_platform_usc import build, sds_pool  # noqa: F401 (fixture)
from test_explore_programs import PMEMU

MIB = 1 << 20


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return build(tmp_path_factory.mktemp("progs"), "devdax_pmem2",
                 "-lpmem2")


@pytest.fixture(scope="module")
def tx_add_late(tmp_path_factory):
    return build(tmp_path_factory.mktemp("progs"), "tx_add_late",
                 "-lpmemobj")


def pmemu(*args, tmpdir=None):
    # tmpdir: where explore keeps a failing recording (TMPDIR)
    env = dict(os.environ, TMPDIR=str(tmpdir)) if tmpdir else None
    return subprocess.run([PMEMU, *args], capture_output=True, text=True,
                          env=env)


@pytest.mark.parametrize("domain,granularity", [
    ("adr", "cache_line"), ("eadr", "byte")])
@pytest.mark.parametrize("ndctl", ["off", "on"])
def test_libpmem2_maps_the_device(tmp_path, prog, domain, granularity,
                                  ndctl):
    # libndctl's devdax namespace is there without --ndctl too
    r = pmemu("run", "--domain", domain, "--ndctl", ndctl, "--pmem-dir",
              str(tmp_path), "--devdax", "dax1.3:6M", "--", prog,
              str(tmp_path / "dax1.3"), "correct")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == \
        "size=%d align=%d mapped=%d granularity=%s" % (
            6 * MIB, 2 * MIB, 6 * MIB, granularity)


def test_a_regular_file_stays_one(tmp_path, prog):
    with open(tmp_path / "pool", "wb") as f:
        f.truncate(2 * MIB)
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--", prog,
              str(tmp_path / "pool"), "correct")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("size=%d " % (2 * MIB))


REALPATH = """import ctypes, sys
libc = ctypes.CDLL(None)
libc.realpath.restype = ctypes.c_char_p
for m in sys.argv[1:]:
    print(libc.realpath(b"/sys/dev/char/%s/subsystem" % m.encode(), None))
"""


def test_realpath_names_the_dax_subsystem(tmp_path):
    # 1000:0 is dax0.0, 1000:259 dax1.3 (minor R*256+N); no file dax0.1,
    # and 1:3 is /dev/null's: the real realpath
    (tmp_path / "dax1.3").write_bytes(b"")
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--devdax", "dax0.0:2M",
              "--", sys.executable, "-c", REALPATH, "1000:0", "1000:259",
              "1000:1", "1:3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "b'/sys/bus/dax'", "b'/sys/bus/dax'", "None",
        repr(os.path.realpath("/sys/dev/char/1:3/subsystem").encode())]


@pytest.mark.parametrize("twin,result", [("buggy", 1), ("correct", 0)])
@pytest.mark.parametrize("image", ["{pmem}", "DEV"])
def test_explore_catches_the_buggy_twin(tmp_path, prog, twin, result,
                                        image):
    # the check maps the image file ({pmem}) or, under pmemu, the
    # program's device, which stands for the image (a device DAX again)
    pm = tmp_path / "pm"
    pm.mkdir()
    dev = str(pm / "dax0.0")
    r = pmemu("explore", "--pmem-dir", str(pm), "--devdax", "dax0.0:2M",
              "--no-explain", "--check",
              "%s %s check" % (prog, image.replace("DEV", dev)), "--",
              prog, dev, twin, tmpdir=tmp_path)
    assert r.returncode == result, r.stdout + r.stderr
    assert ("pmemu: FAIL" if result else "pmemu: PASS") in r.stdout


def test_libpmemobj_makes_a_pool_on_the_device(tmp_path, sds_pool):
    dev = str(tmp_path / "dax0.0")
    steps = [pmemu("run", "--pmem-dir", str(tmp_path), "--devdax",
                   "dax0.0:16M", "--", sds_pool, dev, "create0")]
    for cmd in ("update", "open", "create"):
        steps.append(pmemu("run", "--pmem-dir", str(tmp_path), "--",
                           sds_pool, dev, cmd))
    assert [r.returncode for r in steps] == [0, 0, 0, 1], \
        [r.stdout + r.stderr for r in steps]
    assert steps[2].stdout == "counter 1\n"
    # a size other than 0 on a device: PMDK's refusal
    assert "already exists" in steps[3].stdout


@pytest.mark.parametrize("twin,result", [("late", 1), ("correct", 0)])
def test_explore_checks_a_pool_on_the_device(tmp_path, tx_add_late, twin,
                                             result):
    # late: a store before its TX_ADD, a crash in the transaction keeps
    # the new value with the old other field
    pm = tmp_path / "pm"
    pm.mkdir()
    dev = str(pm / "dax0.0")
    r = pmemu("explore", "--pmem-dir", str(pm), "--devdax", "dax0.0:16M",
              "--no-explain", "--check", tx_add_late + " " + dev + " check",
              "--", tx_add_late, dev, twin, tmpdir=tmp_path)
    assert r.returncode == result, r.stdout + r.stderr
    if result:
        assert "value 42 other 0" in r.stdout, r.stdout
