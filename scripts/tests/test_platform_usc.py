"""test_platform_usc.py -- the unsafe shutdown count (issue 13, item 3):
the pmem dir's emulated DIMM (DIR/.pmemu-dimm) keeps its count across a
clean `pmemu run` and a power failure adr or eadr flushes through; a
dirty shutdown (cxl, Global Persistent Flush failed) moves it: such a
crash image explore checks (and `pmemu replay` writes) carries it one
higher. Programs read it as PMDK does: libpmem2's
pmem2_source_device_usc/_id (progs/usc_twin.c), and libpmemobj's shutdown
state through libndctl (progs/sds_pool.c, --ndctl on), whose refusal to
open a pool after an unsafe shutdown explore then sees."""
import json
import os
import re
import subprocess
import sys

import pytest

from test_explore_programs import PLUGIN, PMEMU, PROGS, SOURCE

ID = "8086-00-0000-00000001"  # the DIMM's id without a .pmemu-dimm file


def build(out, name, lib):
    exe = out / name
    cmd = ["cc", "-O1", "-g", "-I", os.path.join(SOURCE, "include"),
           os.path.join(PROGS, name + ".c"), "-o", str(exe), lib]
    if os.path.exists(PLUGIN):
        cmd.insert(1, "-fplugin=" + PLUGIN)
    subprocess.run(cmd, check=True)
    return str(exe)


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    return build(tmp_path_factory.mktemp("progs"), "usc_twin", "-lpmem2")


@pytest.fixture(scope="module")
def sds_pool(tmp_path_factory):
    return build(tmp_path_factory.mktemp("progs"), "sds_pool", "-lpmemobj")


def pmemu(*args, env=None):
    return subprocess.run([PMEMU, *args], capture_output=True, text=True,
                          env=env)


def pmem_dir(tmp_path, count=None):
    pm = tmp_path / "pm"
    pm.mkdir()
    if count is not None:
        (pm / ".pmemu-dimm").write_text(
            "shutdown_count %d\nunique_id 8089-a2-1837-00000a31\n" % count)
    return pm


def dimms(pm):
    r = pmemu("list", "-D", "--pmem-dir", str(pm))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_list_dimms_as_ndctl_list_DH(tmp_path):
    pm = pmem_dir(tmp_path)
    assert dimms(pm) == [{"dev": "nmem0", "id": ID, "handle": 1,
                          "phys_id": 0, "health": {
                              "health_state": "ok", "shutdown_count": 0}}]
    (pm / ".pmemu-dimm").write_text("shutdown_count 7\n")
    assert dimms(pm)[0]["health"]["shutdown_count"] == 7
    (pm / "pool").write_bytes(b"\0" * 4096)
    # pmemu's metadata is no namespace
    r = pmemu("list", "--pmem-dir", str(pm))
    ns = json.loads(r.stdout)[0]["namespaces"]
    assert [n["file"] for n in ns] == [str(pm / "pool")]
    assert json.loads(r.stdout)[0]["size"] == 4096


@pytest.mark.parametrize("text,why", [
    ("shutdown_count x\n",
     "line 1: shutdown_count 'x': expected a number from 0 to "
     "18446744073709551614"),
    ("# ok\nshutdown_count 18446744073709551615\n",
     "line 2: shutdown_count '18446744073709551615': expected a number "
     "from 0 to 18446744073709551614"),
    ("unique_id a/b\n",
     "line 1: unique_id 'a/b': expected 1 to 40 letters, digits, '-' or "
     "'_'"),
    ("health ok\n",
     "line 1: unknown key 'health'; expected shutdown_count or unique_id"),
])
def test_malformed_metadata_is_one_line_exit_2(tmp_path, twin, text, why):
    pm = pmem_dir(tmp_path)
    meta = pm / ".pmemu-dimm"
    meta.write_text(text)
    line = "pmemu: error: %s: %s\n" % (meta, why)
    r = pmemu("list", "-D", "--pmem-dir", str(pm))
    assert (r.returncode, r.stderr) == (2, line)
    # the program's question stops it with the same line
    r = pmemu("run", "-q", "--pmem-dir", str(pm), "--", twin,
              str(pm / "f"), "usc")
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.endswith(line), r.stderr
    # explore reads it for the images: refused before any check runs
    r = pmemu("explore", "--pmem-dir", str(pm), "--no-explain", "--check",
              "true", "--", twin, str(pm / "f"), "write")
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.splitlines()[-1] == line.rstrip("\n"), r.stderr


def test_a_clean_run_leaves_the_count(tmp_path, twin):
    pm = pmem_dir(tmp_path)
    for _ in range(2):
        r = pmemu("run", "-q", "--pmem-dir", str(pm), "--", twin,
                  str(pm / "f"), "write")
        assert r.returncode == 0, r.stderr
    r = pmemu("run", "-q", "--pmem-dir", str(pm), "--", twin,
              str(pm / "f"), "usc")
    assert r.stdout == "usc 0 id %s\n" % ID, r.stdout + r.stderr
    assert not (pm / ".pmemu-dimm").exists()
    pm2 = pmem_dir(tmp_path / "b" if (tmp_path / "b").mkdir() is None
                   else None, count=3)
    before = (pm2 / ".pmemu-dimm").read_text()
    r = pmemu("run", "-q", "--pmem-dir", str(pm2), "--", twin,
              str(pm2 / "f"), "usc")
    assert r.stdout == "usc 3 id 8089-a2-1837-00000a31\n", r.stderr
    assert (pm2 / ".pmemu-dimm").read_text() == before
    assert dimms(pm2)[0]["health"]["shutdown_count"] == 3


def test_a_power_failure_under_adr_leaves_the_count(tmp_path, twin):
    """adr and eadr flush on power loss: no dirty shutdown, no move (a
    count moved at every crash would make libpmemobj refuse every SDS pool
    after every crash, which the hardware does not do)"""
    pm = pmem_dir(tmp_path, count=5)
    f = pm / "f"
    want = "usc 5 id 8089-a2-1837-00000a31"
    # the check runs under the shim: the program's path names the image
    check = "sh -c '%s %s usc | grep -qx \"%s\"'" % (twin, f, want)
    r = pmemu("explore", "--pmem-dir", str(pm), "--no-explain",
              "--strategy", "eviction", "--check", check, "--", twin,
              str(f), "write")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r", ([1-9][0-9]*) checks", r.stdout), r.stdout
    # a check that expects a moved count fails
    check = "sh -c '%s %s usc | grep -qx \"usc 6 id .*\"'" % (twin, f)
    r = pmemu("explore", "--pmem-dir", str(pm), "--no-explain", "--check",
              check, "--", twin, str(f), "write")
    assert r.returncode == 1, r.stdout + r.stderr
    # the recording's pmem dir keeps its count
    assert dimms(pm)[0]["health"]["shutdown_count"] == 5


def test_the_explanation_checks_see_the_dimm_too(tmp_path, twin):
    """the minimal explanation reruns the check on images of its own: they
    carry the recording's DIMM (without it: count 0, another id)"""
    pm = pmem_dir(tmp_path, count=5)
    f = pm / "f"
    log = tmp_path / "log"
    check = "sh -c '%s %s usc >> %s; %s %s recover buggy'" % (
        twin, f, log, twin, f)
    r = pmemu("explore", "--pmem-dir", str(pm), "--strategy", "eviction",
              "--check", check, "--", twin, str(f), "write")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "explanation" in r.stdout.lower(), r.stdout
    lines = log.read_text().splitlines()
    checks = int(re.search(r", (\d+) checks", r.stdout).group(1))
    assert len(lines) > checks, (checks, lines)  # the explanation's runs
    assert set(lines) == {"usc 5 id 8089-a2-1837-00000a31"}, lines


@pytest.mark.parametrize("domain, count", [("adr", 5), ("cxl", 6)])
def test_replay_writes_the_dimm_beside_the_image(tmp_path, twin, domain,
                                                  count):
    """a cxl state with a line not newest is a failed GPF: moved"""
    pm = pmem_dir(tmp_path, count=5)
    # every state fails: the report prints the command rebuilding one
    # (eviction: the first state loses every line)
    r = pmemu("explore", "--pmem-dir", str(pm), "--no-explain", "--domain",
              domain, "--strategy", "eviction", "--check", "false", "--",
              twin, str(pm / "f"), "write")
    assert r.returncode == 1, r.stdout + r.stderr
    m = re.search(r"pmemu replay --trace (\S+) --pmem-dir (\S+) --state "
                  r"'([^']+)'", r.stdout)
    assert m, r.stdout
    out = tmp_path / "img"
    r = pmemu("replay", "--trace", m.group(1), "--pmem-dir", m.group(2),
              "--state", m.group(3), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert dimms(out)[0] == dict(dimms(pm)[0], health={
        "health_state": "ok", "shutdown_count": count})
    r = pmemu("run", "-q", "--pmem-dir", str(out), "--", twin,
              str(out / "f"), "usc")
    assert r.stdout == "usc %d id 8089-a2-1837-00000a31\n" % count, \
        r.stderr


def twin_explore(tmp_path, twin, mode, *opts):
    pm = pmem_dir(tmp_path)
    f = pm / "f"
    # cxl: a failed GPF loses the cached record and moves the count
    return pmemu("explore", "--pmem-dir", str(pm), "--no-explain",
                 "--domain", "cxl", "--strategy", "eviction", *opts,
                 "--check",
                 "%s %s recover %s" % (twin, f, mode), "--", twin, str(f),
                 "write")


def test_ignoring_the_count_fails(tmp_path, twin):
    r = twin_explore(tmp_path, twin, "buggy")
    assert r.returncode == 1, r.stdout + r.stderr
    # the flag survived a failed GPF, the record it vouches for did not
    assert re.search(r"torn record: value \d+ check [0-9a-f]+", r.stdout), \
        r.stdout
    assert "Global Persistent Flush failed" in r.stdout, r.stdout


def test_comparing_the_saved_count_passes(tmp_path, twin):
    r = twin_explore(tmp_path, twin, "correct")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS" in r.stdout


def test_cxl_moves_the_count_only_when_gpf_failed(tmp_path, twin):
    """the check logs the count it reads and PMEMU_DIRTY_SHUTDOWN"""
    pm = pmem_dir(tmp_path)
    f = pm / "f"
    log = tmp_path / "log"
    check = "sh -c 'echo \"$PMEMU_DIRTY_SHUTDOWN $(%s %s usc)\" >> %s'" % (
        twin, f, log)
    r = pmemu("explore", "--pmem-dir", str(pm), "--no-explain",
              "--domain", "cxl", "--strategy", "eviction", "--check",
              check, "--", twin, str(f), "write")
    assert r.returncode == 0, r.stdout + r.stderr
    seen = set(log.read_text().splitlines())
    assert seen == {"0 usc 0 id %s" % ID, "1 usc 1 id %s" % ID}, seen


SDS = dict(os.environ, PMEMOBJ_CONF="sds.at_create=1")


def sds_explore(tmp_path, sds_pool, check):
    pm = pmem_dir(tmp_path)
    pool = pm / "pool"
    # --ndctl on: libpmemobj finds the namespace (SDS); cxl: a failed GPF
    # is the unsafe shutdown that moves the count
    r = pmemu("run", "-q", "--pmem-dir", str(pm), "--domain", "cxl",
              "--ndctl", "on", "--", sds_pool, str(pool), "create",
              env=SDS)
    assert r.returncode == 0, r.stderr
    return pm, pmemu("explore", "--pmem-dir", str(pm), "--no-explain",
                     "--domain", "cxl", "--ndctl", "on", "--check",
                     check % pool, "--", sds_pool, str(pool), "update")


def test_libpmemobj_refuses_a_pool_open_at_the_unsafe_shutdown(
        tmp_path, sds_pool):
    pm, r = sds_explore(tmp_path, sds_pool, sds_pool + " %s open")
    assert r.returncode == 1, r.stdout + r.stderr
    # pmemobj_open(3): EINVAL after an ADR failure of a dirty pool
    assert ("| pmemobj_open: an ADR failure was detected, the pool might "
            "be corrupted (errno EINVAL)") in r.stdout, r.stdout
    # the states after pmemobj_close (the pool clean) open
    m = re.search(r"FAIL: (\d+) of (\d+) states", r.stdout)
    assert m and int(m.group(1)) < int(m.group(2)), r.stdout
    # the recording ran the update cleanly: the count did not move and
    # the pool opens (counter 1), and so it does after another clean run
    for want in ("counter 1\n", "counter 2\n"):
        r = pmemu("run", "-q", "--pmem-dir", str(pm), "--ndctl", "on",
                  "--", sds_pool, str(pm / "pool"), "open"
                  if want[-2] == "1" else "update")
        assert (r.returncode, r.stdout) == (0, want), r.stderr


def test_pmempool_check_says_what_pmdk_says_and_repairs(tmp_path,
                                                        sds_pool):
    pm, r = sds_explore(tmp_path, sds_pool, "pmempool check %s")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "| an ADR failure was detected - your pool might be corrupted" \
        in r.stdout, r.stdout
    m = re.search(r"pmemu replay --trace (\S+) --pmem-dir (\S+) --state "
                  r"'([^']+)'", r.stdout)
    assert m, r.stdout
    img = tmp_path / "img"
    r = pmemu("replay", "--trace", m.group(1), "--pmem-dir", m.group(2),
              "--state", m.group(3), "-o", str(img))
    assert r.returncode == 0, r.stderr

    def on_image(*cmd):
        return pmemu("run", "-q", "--pmem-dir", str(img), "--ndctl", "on",
                     "--", *cmd)
    r = on_image(sds_pool, str(img / "pool"), "open")
    assert r.returncode == 1 and "ADR failure" in r.stdout, r.stdout
    r = on_image("pmempool", "check", "-v", "--repair", "--yes",
                 str(img / "pool"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "resetting pool_hdr.sds" in r.stdout, r.stdout
    r = on_image(sds_pool, str(img / "pool"), "open")
    assert r.returncode == 0, r.stdout + r.stderr


def test_without_ndctl_a_check_outside_pmemu_opens_the_pool(tmp_path,
                                                           sds_pool):
    """off by default: libpmemobj records no device in the pool's shutdown
    state, so a check run outside pmemu ({pmem}: the real libndctl, no
    namespace) opens every crash image; with --ndctl on the pool records
    the emulated DIMM, and outside pmemu that device is gone"""
    env = {k: v for k, v in os.environ.items()
           if k != "PMEMOBJ_CONF"}   # PMDK's defaults
    for opts, passes in (((), True), (("--ndctl", "on"), False)):
        (tmp_path / str(passes)).mkdir()
        pm = pmem_dir(tmp_path / str(passes))
        pool = pm / "pool"
        r = pmemu("run", "-q", "--pmem-dir", str(pm), *opts, "--",
                  sds_pool, str(pool), "create", env=env)
        assert r.returncode == 0, r.stderr
        r = pmemu("explore", "--pmem-dir", str(pm), "--no-explain", *opts,
                  "--check", sds_pool + " {pmem} open", "--", sds_pool,
                  str(pool), "update", env=env)
        assert r.returncode == (0 if passes else 1), r.stdout + r.stderr


def test_ndctl_takes_on_or_off(tmp_path):
    pm = pmem_dir(tmp_path)
    r = pmemu("run", "--pmem-dir", str(pm), "--ndctl", "maybe", "--",
              "true")
    assert r.returncode == 2
    assert r.stderr == ("pmemu: error: --ndctl / PMEMU_NDCTL='maybe': "
                        "expected on or off\n"), r.stderr
