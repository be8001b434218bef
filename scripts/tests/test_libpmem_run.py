"""test_libpmem_run.py -- libpmem and libpmem2 programs under `pmemu run`.

The programs (libshim/tests/progs/libpmem*.c, built by
libshim/tests/libpmem.cmake into build/shim-progs) call the real libpmem
API; libpmemu.so interposes it. Each buggy twin must get its finding at the
source line tagged /* TAG */, each correct twin none; pmem_is_pmem and the
libpmem2 granularity follow --domain.
"""
import os
import re
import subprocess

import pytest

from conftest import BUILD, SOURCE

PROGS = BUILD / "shim-progs"
SRC = SOURCE / "libshim" / "tests" / "progs"
UNPERSISTED = "unpersisted stores"
NO_FENCE = "missing fence"


def clean_env():
    """The environment without PMEMU_* settings or a preload of our own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PMEMU_") and k != "LD_PRELOAD"}
    if "PMEMU_LIBDIR" in os.environ:
        env["PMEMU_LIBDIR"] = os.environ["PMEMU_LIBDIR"]
    return env


def line_of(source, tag):
    """The number of the line carrying /* TAG */ in source."""
    for n, text in enumerate((SRC / source).read_text().splitlines(), 1):
        if f"/* {tag} */" in text:
            return n
    raise AssertionError(f"no /* {tag} */ in {source}")


def pmemu_run(pmemu_bin, pmem_dir, prog, args, *opts):
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pmem_dir), *opts, "--",
           str(PROGS / prog), *args]
    return subprocess.run(cmd, capture_output=True, text=True,
                          env=clean_env())


def finding_lines(res, source):
    """Every source:line of `source` that a finding's stack names."""
    return {int(m) for m in re.findall(re.escape(source) + r":(\d+)\)",
                                       res.stderr)}


def assert_finding_at(res, source, tag, cls):
    assert cls in res.stderr, res.stderr
    assert line_of(source, tag) in finding_lines(res, source), res.stderr


def assert_no_findings(res):
    assert res.returncode == 0, res.stderr
    assert "pmemu: no findings" in res.stderr, res.stderr


@pytest.fixture
def pmem_dir(tmp_path):
    d = tmp_path / "pmem"
    d.mkdir()
    return d


@pytest.mark.parametrize("domain,is_pmem,bad_class", [
    ("adr", 1, UNPERSISTED),        # pmem_persist branch
    ("pagecache", 0, UNPERSISTED),  # pmem_msync branch
    ("eadr", 1, None),              # stores are durable: nothing to forget
])
def test_listing34_twins(pmemu_bin, pmem_dir, domain, is_pmem, bad_class):
    src = "libpmem_listing34.c"
    pool = pmem_dir / "file"
    ok = pmemu_run(pmemu_bin, pmem_dir, "libpmem_listing34_ok", [str(pool)],
                   "--domain", domain, "--error-exitcode=7")
    assert_no_findings(ok)
    assert f"is_pmem={is_pmem} mapped_len=4096" in ok.stdout
    assert pool.read_bytes().startswith(b"This is new data written")
    pool.unlink()
    bad = pmemu_run(pmemu_bin, pmem_dir, "libpmem_listing34_bad",
                    [str(pool)], "--domain", domain, "--error-exitcode=7")
    assert f"is_pmem={is_pmem}" in bad.stdout
    if bad_class is None:
        assert_no_findings(bad)
    else:
        assert bad.returncode == 7, bad.stderr
        assert_finding_at(bad, src, "STORE", bad_class)


def test_persist_after_a_flush_in_flight_killed(pmemu_bin, pmem_dir):
    """A persisted range reaches the media, after the older write-back
    of its line that the thread had in flight (a persist with nothing in
    flight writes the media as it flushes; with this one it must not:
    the fence writes the older snapshot first); a line flushed but never
    fenced, or never flushed, keeps what the media had."""
    pool = pmem_dir / "file"
    res = pmemu_run(pmemu_bin, pmem_dir, "libpmem_kill_media", [str(pool)])
    assert res.returncode == 128 + 9, res.stderr
    data = pool.read_bytes()
    assert len(data) == 1 << 20
    assert data[:64] == b"E" * 64
    assert data[64:] == b"A" * ((1 << 20) - 64)


# variant -> (finding class or None, tag of the line it names)
FLAG_CASES = {
    "flags_none": (None, None),
    "temporal": (None, None),
    "wb": (None, None),
    "nontemporal": (None, None),
    "wc": (None, None),
    "nodrain": (NO_FENCE, "FLAGS"),
    "nontemporal_nodrain": (NO_FENCE, "FLAGS"),
    "noflush": (UNPERSISTED, "FLAGS"),
    "memcpy_persist": (None, None),
    "memmove_persist": (None, None),
    "memcpy_nodrain": (NO_FENCE, "CPY_NODRAIN"),
    "memset_persist": (None, None),
    "memset_nodrain": (NO_FENCE, "SET_NODRAIN"),
    "memset_noflush": (UNPERSISTED, "SET_NOFLUSH"),
    "flush_drain": (None, None),
    "deep_persist": (None, None),
}


@pytest.mark.parametrize("variant", sorted(FLAG_CASES))
def test_memcpy_flag_families(pmemu_bin, pmem_dir, variant):
    cls, tag = FLAG_CASES[variant]
    res = pmemu_run(pmemu_bin, pmem_dir, "libpmem_flags",
                    [str(pmem_dir / "file"), variant], "--error-exitcode=5")
    if cls is None:
        assert_no_findings(res)
        return
    assert res.returncode == 5, res.stderr
    assert_finding_at(res, "libpmem_flags.c", tag, cls)
    other = UNPERSISTED if cls == NO_FENCE else NO_FENCE
    assert other not in res.stderr, res.stderr


@pytest.mark.parametrize("domain,granularity,bad_class", [
    ("adr", "cache-line", UNPERSISTED),
    ("pagecache", "page", UNPERSISTED),
    ("eadr", "byte", None),
])
def test_libpmem2_twins(pmemu_bin, pmem_dir, domain, granularity,
                        bad_class):
    pool = pmem_dir / "file"
    for prog in ("libpmem2_persist_ok", "libpmem2_persist_bad"):
        pool.write_bytes(bytes(8192))
        res = pmemu_run(pmemu_bin, pmem_dir, prog, [str(pool)],
                        "--domain", domain)
        assert res.returncode == 0, res.stderr
        assert f"granularity={granularity}" in res.stdout
        if prog.endswith("_ok") or bad_class is None:
            assert "pmemu: no findings" in res.stderr, res.stderr
        else:
            assert_finding_at(res, "libpmem2_persist.c", "STORE", bad_class)
    assert pool.read_bytes().startswith(b"written through a libpmem2")


@pytest.mark.parametrize("domain,maps", [("eadr", True), ("adr", False)])
def test_libpmem2_byte_granularity_needs_eadr(pmemu_bin, pmem_dir, domain,
                                             maps):
    pool = pmem_dir / "file"
    pool.write_bytes(bytes(8192))
    res = pmemu_run(pmemu_bin, pmem_dir, "libpmem2_persist_ok",
                    [str(pool), "byte"], "--domain", domain)
    if maps:
        assert res.returncode == 0, res.stderr
        assert "granularity=byte" in res.stdout
    else:
        assert res.returncode == 1, res.stderr
        assert "granularity" in res.stderr


@pytest.mark.parametrize("domain,is_pmem", [("adr", 1), ("pagecache", 0)])
def test_map_file_flags_on_emulated_files(pmemu_bin, pmem_dir, domain,
                                          is_pmem):
    res = pmemu_run(pmemu_bin, pmem_dir, "libpmem_map_flags",
                    [str(pmem_dir)], "--domain", domain)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"tmpfile len=8192 is_pmem={is_pmem}" in res.stdout
    assert "excl again: refused errno=17" in res.stdout
    assert f"reopen len=1048576 is_pmem={is_pmem} byte=42" in res.stdout
    # the temporary file left no name; the sparse one stayed sparse
    assert [p.name for p in pmem_dir.iterdir()] == ["sparse"]
    st = (pmem_dir / "sparse").stat()
    assert st.st_size == 1 << 20 and st.st_blocks * 512 < 1 << 20
    if is_pmem:
        assert "pmemu: no findings" in res.stderr, res.stderr
    else:
        # pmem_persist on a page cache mapping is the program's bug
        assert "cpu flush on page cache" in res.stderr, res.stderr


def test_file_outside_pmem_dir_is_not_emulated(pmemu_bin, pmem_dir,
                                                tmp_path):
    """A file outside --pmem-dir is the real libpmem's: on this (non-DAX)
    file system it is not pmem, and nothing is reported about it."""
    outside = tmp_path / "outside"
    res = pmemu_run(pmemu_bin, pmem_dir, "libpmem_listing34_bad",
                    [str(outside)], "--domain", "adr")
    assert "is_pmem=0" in res.stdout
    assert_no_findings(res)


def test_unversioned_reference_binds_to_shim(pmemu_bin, pmem_dir, tmp_path,
                                             cc):
    """dlsym (an unversioned lookup) finds libpmemu's pmem_persist."""
    prog = tmp_path / "lookup"
    src = tmp_path / "lookup.c"
    src.write_text(
        "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\n"
        "int main(void) {\n"
        "  Dl_info info;\n"
        "  void *f = dlsym(RTLD_DEFAULT, \"pmem_persist\");\n"
        "  if (f == NULL || !dladdr(f, &info)) return 1;\n"
        "  printf(\"%s\\n\", info.dli_fname);\n"
        "  return 0;\n}\n")
    subprocess.run([cc, "-o", str(prog), str(src), "-ldl"], check=True)
    cmd = [pmemu_bin, "run", "--pmem-dir", str(pmem_dir), "--", str(prog)]
    res = subprocess.run(cmd, capture_output=True, text=True,
                         env=clean_env())
    assert res.returncode == 0, res.stderr
    assert "libpmemu.so" in res.stdout


def test_exports_carry_libpmem_versions():
    lib = os.environ.get("PMEMU_LIBDIR", str(BUILD / "lib"))
    out = subprocess.run(["objdump", "-T", os.path.join(lib, "libpmemu.so")],
                         capture_output=True, text=True, check=True).stdout
    versions = {name: ver for ver, name in
                re.findall(r"(LIBPMEM2?_1\.0)\s+(pmem2?_\w+)$", out, re.M)}
    for name in ("pmem_persist", "pmem_flush", "pmem_drain", "pmem_memcpy",
                 "pmem_memmove", "pmem_memset", "pmem_msync",
                 "pmem_is_pmem", "pmem_deep_flush", "pmem_map_file"):
        assert versions.get(name) == "LIBPMEM_1.0", name
    assert versions.get("pmem2_get_persist_fn") == "LIBPMEM2_1.0"
