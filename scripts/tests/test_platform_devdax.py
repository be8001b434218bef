"""test_platform_devdax.py -- a file named dax<R>.<N> under the pmem dir
(or --devdax NAME:SIZE) is a device DAX, as /dev/dax<R>.<N> (issue 13,
item 2): progs/devdax.c probes what the kernel and libpmem would answer."""
import json
import os
import subprocess
import sys

import pytest

from test_explore_programs import PMEMU, build_progs

MIB = 1 << 20


@pytest.fixture(scope="module")
def devdax(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("devdax",))["devdax"]


def pmemu(*args):
    return subprocess.run([PMEMU, *args], capture_output=True, text=True)


def probes(out):
    return dict(line.split(" ", 1) for line in out.splitlines())


def test_device_answers_as_the_kernel_and_libpmem(tmp_path, devdax):
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--devdax", "dax0.0:4M",
              "--", devdax, str(tmp_path / "dax0.0"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert probes(r.stdout) == {
        "stat": "chr size=0 major=1000", "fstat": "chr",
        "statx": "chr major=1000",
        "read": "EINVAL", "pwrite": "EINVAL", "fsync": "EINVAL",
        "ftruncate": "EINVAL", "fallocate": "ENODEV",
        "mmap-private": "EINVAL", "mmap-4k": "EINVAL",
        "mmap-offset-4k": "EINVAL", "mmap-2m": "aligned",
        "pmem_map_file-excl": "EINVAL",
        # the whole device, whatever len asked for
        "pmem_map_file": "len=%d is_pmem=1 aligned=1" % (4 * MIB),
        "msync": "EINVAL"}
    media = (tmp_path / "dax0.0").read_bytes()
    assert len(media) == 4 * MIB and media.startswith(b"hello\0")


def test_a_file_of_that_name_is_one_too(tmp_path, devdax):
    with open(tmp_path / "dax1.2", "wb") as f:
        f.truncate(2 * MIB)
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--", devdax,
              str(tmp_path / "dax1.2"))
    assert r.returncode == 0, r.stderr
    assert probes(r.stdout)["read"] == "EINVAL"


def test_a_file_of_another_name_is_fsdax(tmp_path, devdax):
    with open(tmp_path / "pool", "wb") as f:
        f.truncate(2 * MIB)
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--", devdax,
              str(tmp_path / "pool"))
    assert probes(r.stdout)["read"] == "ok"
    assert probes(r.stdout)["stat"].startswith("other")


def test_explore_sees_the_device_stores(tmp_path, devdax):
    pm = tmp_path / "pm"
    pm.mkdir()
    check = "%s -c \"import sys; sys.exit(open(sys.argv[1], 'rb')" \
        ".read(5) != b'hello')\" {pmem}" % sys.executable
    r = pmemu("explore", "--pmem-dir", str(pm), "--devdax", "dax0.0:2M",
              "--no-explain", "--check", check, "--", devdax,
              str(pm / "dax0.0"))
    # before the persist, the device holds zeros: the check fails there
    assert r.returncode == 1, r.stdout + r.stderr
    assert "pmemu: FAIL" in r.stdout


def test_list_shows_a_devdax_namespace(tmp_path):
    with open(tmp_path / "dax0.0", "wb") as f:
        f.truncate(2 * MIB)
    r = pmemu("list", "--pmem-dir", str(tmp_path))
    ns = json.loads(r.stdout)[0]["namespaces"][0]
    assert (ns["mode"], ns["chardev"], ns["size"], ns["align"]) == \
        ("devdax", "dax0.0", 2 * MIB, 2 * MIB)


@pytest.mark.parametrize("spec,says", [
    ("dax0.0:3M", "multiple of 2 MiB"), ("dax0.0:0", "multiple of 2 MiB"),
    ("dax0.0", "NAME:SIZE"), ("pool:2M", "dax<R>.<N>"),
    ("dax0.x:2M", "dax<R>.<N>")])
def test_bad_devdax_is_one_line(tmp_path, spec, says):
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--devdax", spec, "--",
              "true")
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1 and says in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []


def test_a_device_keeps_its_size(tmp_path):
    assert pmemu("run", "--pmem-dir", str(tmp_path), "--devdax",
                 "dax0.0:2M", "--", "true").returncode == 0
    r = pmemu("run", "--pmem-dir", str(tmp_path), "--devdax", "dax0.0:4M",
              "--", "true")
    assert r.returncode == 2 and "another size" in r.stderr
