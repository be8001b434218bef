"""test_raw_insn.py -- prebuilt programs with raw clwb/clflushopt/movnti/
sfence (built without the plugin) under `pmemu run`: the correct twin gets
no finding, the buggy one gets its finding at the right source line, and
the program's output is the same as natively (the emulation is exact).
See docs/raw-instructions.md."""
import os
import pathlib
import re
import subprocess

import pytest

from conftest import BUILD, SOURCE

PROGS = BUILD / "raw-progs"
SRC = SOURCE / "libshim" / "tests" / "progs"
LIBDIR = pathlib.Path(os.environ.get("PMEMU_LIBDIR", BUILD / "lib"))
ERROR_EXIT = 3


def line_of(src, marker):
    """The line of src (a file in progs/) whose comment names marker."""
    for no, text in enumerate((SRC / src).read_text().splitlines(), 1):
        if f"/* {marker} */" in text:
            return no
    raise AssertionError(f"{src}: no /* {marker} */")


def run_native(prog, tmp_path, *args, env=None):
    d = tmp_path / f"native-{prog}"  # a fresh pool: its media is all zero
    d.mkdir()
    return subprocess.run([str(PROGS / prog), str(d / "pool"), *args],
                          capture_output=True, text=True, env=env,
                          check=True)


def run_pmemu(pmemu_bin, prog, tmp_path, *args, env=None):
    d = tmp_path / f"pmem-{prog}"
    d.mkdir()
    return subprocess.run([pmemu_bin, "run", "--pmem-dir", str(d),
                           f"--error-exitcode={ERROR_EXIT}", "--",
                           str(PROGS / prog), str(d / "pool"), *args],
                          capture_output=True, text=True, env=env)


def assert_clean(res):
    assert res.returncode == 0, res.stderr
    assert "pmemu: no findings" in res.stderr, res.stderr


def assert_finding(res, title, src, marker):
    assert res.returncode == ERROR_EXIT, res.stderr
    assert title in res.stderr, res.stderr
    assert f"({src}:{line_of(src, marker)})" in res.stderr, res.stderr


TWINS = [
    # program, finding of the buggy twin, its source, the line's marker
    ("raw_clwb", "unpersisted stores", "raw_clwb.c", "the body"),
    ("raw_clflushopt", "missing fence", "raw_clflushopt.c", "the flush"),
    ("raw_stream", "missing fence", "raw_stream.c", "the stream"),
]


@pytest.mark.parametrize("prog,title,src,marker", TWINS)
def test_correct_twin_has_no_finding(pmemu_bin, tmp_path, prog, title, src,
                                     marker):
    res = run_pmemu(pmemu_bin, f"{prog}_ok", tmp_path)
    assert_clean(res)
    assert res.stdout == run_native(f"{prog}_ok", tmp_path).stdout


@pytest.mark.parametrize("prog,title,src,marker", TWINS)
def test_buggy_twin_is_reported_at_its_line(pmemu_bin, tmp_path, prog,
                                            title, src, marker):
    res = run_pmemu(pmemu_bin, f"{prog}_buggy", tmp_path)
    assert_finding(res, title, src, marker)
    assert res.stdout == run_native(f"{prog}_buggy", tmp_path).stdout


def test_emulation_is_exact(pmemu_bin, tmp_path):
    """Every patched form, to pmem, DRAM, rip-relative and fs: operands."""
    native = run_native("raw_emul", tmp_path)
    m = re.search(r"patched (\d+) of (\d+)", native.stderr)
    assert m and m.group(1) == "0", native.stderr
    res = run_pmemu(pmemu_bin, "raw_emul", tmp_path)
    assert res.stdout == native.stdout
    assert f"patched {m.group(2)} of {m.group(2)}" in res.stderr, res.stderr


def test_bare_ld_preload(tmp_path):
    """Without `pmemu run`: LD_PRELOAD and PMEMU_PMEM_DIR only."""
    native = run_native("raw_emul", tmp_path)
    d = tmp_path / "pmem"
    d.mkdir()
    env = dict(os.environ, LD_PRELOAD=str(LIBDIR / "libpmemu.so"),
               PMEMU_PMEM_DIR=str(d))
    res = subprocess.run([str(PROGS / "raw_emul"), str(d / "pool")],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout == native.stdout
    total = re.search(r"of (\d+)", native.stderr).group(1)
    assert f"patched {total} of {total}" in res.stderr, res.stderr


def test_dlopened_library_is_patched(pmemu_bin, tmp_path):
    lib = str(PROGS / "libraw_dl_lib.so")
    assert_clean(run_pmemu(pmemu_bin, "raw_dlopen_ok", tmp_path, lib))
    res = run_pmemu(pmemu_bin, "raw_dlopen_buggy", tmp_path, lib)
    assert_finding(res, "unpersisted stores", "raw_dlopen.c", "the stores")


def nt_memcpy_env():
    """glibc copies 1 MiB with non-temporal stores under this tunable."""
    env = dict(os.environ,
               GLIBC_TUNABLES="glibc.cpu.x86_non_temporal_threshold=0x10000")
    ld_so = "/lib64/ld-linux-x86-64.so.2"
    diag = subprocess.run([ld_so, "--list-diagnostics"], env=env,
                          capture_output=True, text=True)
    if "non_temporal_threshold=0x10000" not in diag.stdout:
        pytest.skip("this glibc does not take the non-temporal tunable")
    return env


def test_glibc_nt_memcpy_counts_as_cached_stores(pmemu_bin, tmp_path):
    """glibc's non-temporal memcpy path is not patched: the copied lines
    are dirty cached stores, so the flushes after it are needed (no
    'redundant flush') and leaving them out is reported."""
    env = nt_memcpy_env()
    res = run_pmemu(pmemu_bin, "raw_bigcopy_ok", tmp_path, env=env)
    assert_clean(res)
    assert res.stdout == run_native("raw_bigcopy_ok", tmp_path,
                                    env=env).stdout
    res = run_pmemu(pmemu_bin, "raw_bigcopy_buggy", tmp_path, env=env)
    assert_finding(res, "unpersisted stores", "raw_bigcopy.c", "the copy")


def test_unpatchable_site_stops_at_start(pmemu_bin, tmp_path):
    run_native("raw_maskmov", tmp_path)  # fine without pmemu
    res = run_pmemu(pmemu_bin, "raw_maskmov", tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""  # stopped before main
    msg = res.stderr.splitlines()[0]
    assert msg.startswith("pmemu: error: cannot emulate a masked "
                          "non-temporal store in masked_copy"), msg
    assert str(PROGS / "raw_maskmov") in msg, msg
    assert "-fplugin=" in msg and "pmemu-gcc.so" in msg, msg
    # under a bare LD_PRELOAD the message is all there is
    d = tmp_path / "preload"
    d.mkdir()
    env = dict(os.environ, LD_PRELOAD=str(LIBDIR / "libpmemu.so"),
               PMEMU_PMEM_DIR=str(d))
    res = subprocess.run([str(PROGS / "raw_maskmov"), str(d / "pool")],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 2
    assert res.stderr == msg + "\n"


def test_plugin_built_program_is_not_patched(pmemu_bin, tmp_path):
    """Its hooks report the flushes: a trap too would count them twice
    (redundant flushes). Stripped, so only .dynsym shows the hooks."""
    if not (PROGS / "raw_clwb_plugin_ok").exists():
        pytest.skip("the GCC plugin is not built")
    res = run_pmemu(pmemu_bin, "raw_clwb_plugin_ok", tmp_path)
    assert_clean(res)
    assert res.stdout == run_native("raw_clwb_ok", tmp_path).stdout
