"""test_platform_explore.py -- `pmemu explore -- PROGRAM` takes the
platform options of record (--domain, --line, --clflush, --sector) and a
--domain list, explored domain by domain (issue 13, item 1). The twins of
progs/assume_eadr.c: "buggy" flushes nothing, as if eADR; "checked" asks
pmem_has_auto_flush() first."""
import os
import subprocess
import sys

import pytest

from test_explore_programs import PMEMU, PROGS, build_progs

CHECK = "%s %s commit {pmem}" % (sys.executable,
                                 os.path.join(PROGS, "check_pool.py"))


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("assume_eadr",))["assume_eadr"]


def explore(tmp_path, exe, mode, *opts):
    pm = tmp_path / "pm"
    pm.mkdir(exist_ok=True)
    return subprocess.run(
        [PMEMU, "explore", "--pmem-dir", str(pm), "--no-explain",
         "--strategy", "eviction", "--check", CHECK, *opts, "--", exe,
         str(pm / "pool"), mode], capture_output=True, text=True)


def last_line(r):
    return r.stdout.strip().splitlines()[-1]


def test_buggy_twin_fails_on_adr_passes_on_eadr(tmp_path, twin):
    r = explore(tmp_path, twin, "buggy", "--domain", "adr,eadr")
    assert r.returncode == 1, r.stdout + r.stderr
    assert last_line(r) == "pmemu: fails on adr, passes on eadr"
    assert "pmemu: --domain adr\n" in r.stdout
    assert "pmemu: --domain eadr\n" in r.stdout


def test_checked_twin_passes_on_both(tmp_path, twin):
    # the pool is created exclusively: eadr's recording passes only when
    # the pmem dir is back as it was before adr's
    r = explore(tmp_path, twin, "checked", "--domain=eadr,adr")
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == "pmemu: passes on eadr, passes on adr"


def test_one_domain_is_passed_to_record(tmp_path, twin):
    assert explore(tmp_path, twin, "buggy").returncode == 1
    (tmp_path / "pm" / "pool").unlink()
    r = explore(tmp_path, twin, "buggy", "--domain", "eadr")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "passes on" not in r.stdout  # no summary for one domain


def test_line_is_passed_to_record(tmp_path, twin):
    # data and flag share a 128-byte line: written back together
    r = explore(tmp_path, twin, "buggy", "--line", "128")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("value", ["adr,bogus", "adr,", ",eadr", "adr,adr", ""])
def test_bad_domain_list_is_one_line(tmp_path, twin, value):
    r = explore(tmp_path, twin, "buggy", "--domain", value)
    assert r.returncode == 2
    assert r.stderr.startswith("pmemu: error: --domain ")
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert not (tmp_path / "pm" / "pool").exists()  # nothing ran


def test_bad_sector_stops_the_recording(tmp_path, twin):
    r = explore(tmp_path, twin, "buggy", "--sector", "100")
    assert r.returncode == 2
    assert "--sector" in r.stderr and "512 or 4096" in r.stderr


def test_a_domain_that_cannot_be_recorded_is_said(tmp_path, twin):
    r = explore(tmp_path, twin, "buggy", "--domain", "adr,eadr",
                "--sector", "100")
    assert r.returncode == 2
    assert last_line(r) == "pmemu: not explored on adr, not explored on eadr"


def test_platform_options_with_a_trace_are_refused(tmp_path):
    r = subprocess.run([PMEMU, "explore", "--trace", str(tmp_path / "t"),
                        "--check", "true", "--domain", "eadr"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("pmemu: error: explore: --domain")
    assert len(r.stderr.splitlines()) == 1


def test_relative_pmem_dir_reaches_a_check_run_under_the_shim(tmp_path,
                                                               twin):
    """A check without {pmem} names the program's own path and runs under
    libpmemu.so, which takes only an absolute PMEMU_PMEM_DIR: a relative
    --pmem-dir once failed every state there (a false FAIL)."""
    (tmp_path / "pm").mkdir()
    check = "%s %s commit pm/pool" % (sys.executable,
                                      os.path.join(PROGS, "check_pool.py"))
    r = subprocess.run(
        [PMEMU, "explore", "--pmem-dir", "pm", "--no-explain", "--strategy",
         "eviction", "--domain", "eadr", "--check", check, "--", twin,
         "pm/pool", "buggy"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "pmemu: PASS" in r.stdout
