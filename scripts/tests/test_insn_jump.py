"""test_insn_jump.py -- trampolines (PMEMU_PATCH=jump, the default) against
traps (PMEMU_PATCH=int3) on the same binaries: the recorded traces are the
same event for event (`pmemu trace-dump`, process ids, load addresses and
the note on sites left trapping masked), the findings are the same, and the
program's output is the same. Programs: raw_emul (every raw flush, fence
and streaming store form), the raw twins and the libpmemobj transaction
twins (client requests). See docs/raw-instructions.md, "Jumps".
"""
import os
import re
import subprocess

import pytest

from conftest import BUILD

RAW = BUILD / "raw-progs"
SHIM = BUILD / "shim-progs"

# libpmemobj writes a random pool UUID: the bytes of its snapshots differ
# from run to run, the events do not
RANDOM_DATA = ("libpmemobj_tx_ok", "libpmemobj_tx_bad")
PROGRAMS = [
    RAW / "raw_emul", RAW / "raw_vecsave",
    RAW / "raw_clwb_ok", RAW / "raw_clwb_buggy",
    RAW / "raw_clflushopt_ok", RAW / "raw_clflushopt_buggy",
    RAW / "raw_stream_ok", RAW / "raw_stream_buggy",
    SHIM / "libpmemobj_tx_ok", SHIM / "libpmemobj_tx_bad",
]
# what differs between two runs of one program whatever the patching
MASKS = [
    (re.compile(r"\b(pid|tid|ppid)=\d+"), r"\1=N"),
    (re.compile(r"\bbase=0x[0-9a-f]+"), "base=B"),
    (re.compile(r"^[0-9a-f]{8} ", re.M), ""),       # record offsets
    (re.compile(r"^.*could not take a jump.*\n", re.M), ""),
    (re.compile(r"\S+\.trace: \d+ bytes"), "TRACE"),  # the note's size
]


def env_for(mode, cache):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PMEMU_") and k != "LD_PRELOAD"}
    if "PMEMU_LIBDIR" in os.environ:
        env["PMEMU_LIBDIR"] = os.environ["PMEMU_LIBDIR"]
    env["PMEMU_PATCH"] = mode
    env["PMEMU_CACHE_DIR"] = str(cache)
    return env


def masked(text):
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    return text


def events(dump):
    """The dump's records with site ids renumbered by first use and the
    sites no record names dropped, with the modules (a store emulated
    under a trap faults with the SIGTRAP frame on its stack, libc's
    __restore_rt: the page's site, which no event names, differs)."""
    used, out, ids = set(), [], {}
    for line in dump.splitlines():
        m = re.match(r"(\w+)\s+tid=N site=(\d+)", line)
        if m and m.group(1) not in ("site", "module"):
            used.add(m.group(2))

    def renumber(m):
        return f"{m.group(1)}={ids.setdefault(m.group(2), len(ids) + 1)}"
    for line in dump.splitlines():
        kind = line.split(" ", 1)[0]
        if kind == "module":
            continue
        if kind == "site":
            sid = re.search(r"site=(\d+) frames", line).group(1)
            if sid not in used:
                continue
        line = re.sub(r"\b(site)=([1-9]\d*)", renumber, line)
        out.append(line)
    return out


def record(pmemu_bin, prog, mode, tmp_path):
    """(trace-dump, findings, stdout) of prog recorded with mode."""
    d = tmp_path / f"pmem-{mode}"
    d.mkdir()
    trace = tmp_path / f"{mode}.trace"
    res = subprocess.run([pmemu_bin, "record", "-o", str(trace),
                          "--pmem-dir", str(d), "--", str(prog),
                          str(d / "pool")], capture_output=True, text=True,
                         env=env_for(mode, tmp_path / "cache"))
    assert res.returncode in (0, 1), res.stderr
    dump = subprocess.run([pmemu_bin, "trace-dump", str(trace)],
                          capture_output=True, text=True, check=True).stdout
    dump = masked(dump).replace(str(d), "D")
    if prog.name in RANDOM_DATA:
        dump = re.sub(r"data=[0-9a-f]+", "data=X", dump)
    return (events(dump),
            masked(res.stderr).replace(str(d), "D"), res.stdout)


def run_findings(pmemu_bin, prog, mode, tmp_path):
    d = tmp_path / f"run-{mode}"
    d.mkdir()
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(d), "--",
                          str(prog), str(d / "pool")], capture_output=True,
                         text=True, env=env_for(mode, tmp_path / "cache"))
    return masked(res.stderr).replace(str(d), "D"), res.returncode


@pytest.mark.parametrize("prog", PROGRAMS, ids=lambda p: p.name)
def test_trace_same_with_jumps_and_traps(pmemu_bin, tmp_path, prog):
    int3 = record(pmemu_bin, prog, "int3", tmp_path)
    jump = record(pmemu_bin, prog, "jump", tmp_path)
    assert jump[0] == int3[0]
    assert jump[1] == int3[1]
    assert jump[2] == int3[2]
    kinds = {line.split(" ", 1)[0] for line in jump[0]}
    assert kinds & {"clwb", "clflushopt", "sfence", "nt-store"}, kinds


@pytest.mark.parametrize("prog", PROGRAMS, ids=lambda p: p.name)
def test_findings_same_with_jumps_and_traps(pmemu_bin, tmp_path, prog):
    assert run_findings(pmemu_bin, prog, "jump", tmp_path) == \
        run_findings(pmemu_bin, prog, "int3", tmp_path)


def test_sites_jump_rather_than_trap(pmemu_bin, tmp_path):
    """In the default mode raw_emul's sites are patched (the program reads
    its own code back), and none of them is left with an int3."""
    d = tmp_path / "pmem"
    d.mkdir()
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(d), "--",
                          str(RAW / "raw_emul"), str(d / "pool")],
                         capture_output=True, text=True,
                         env=env_for("jump", tmp_path / "cache"))
    assert res.returncode == 0, res.stderr
    m = re.search(r"patched (\d+) of (\d+)", res.stderr)
    assert m and m.group(1) == m.group(2), res.stderr
    traps = re.search(r"(\d+) raw instruction sites? could not take a "
                      r"jump", res.stderr)
    # raw_emul's own sites all jump; libraries may leave a few traps
    listing = subprocess.run(["objdump", "-d", str(RAW / "raw_emul")],
                             capture_output=True, text=True).stdout
    own = len(re.findall(r"\t(clwb|sfence|mfence|movnt)", listing))
    assert traps is None or int(traps.group(1)) < own, res.stderr


@pytest.mark.parametrize("mode", ["jump", "jump-xsave", "int3"])
@pytest.mark.parametrize("isa", [[], ["avx"]], ids=["best", "avx"])
def test_registers_kept_across_sites(pmemu_bin, tmp_path, mode, isa):
    """raw_vecsave: every vector register (zmm0-31 and k1-7 where the CPU
    has AVX-512), mm0-7 and MXCSR hold their values across a patched
    clwb, sfence and client request, and a streaming store from a zmm
    whose upper state is in its initial state (which XSAVEC does not
    write) stores zeros there: the same output as natively. isa avx: the
    ymm0-15 round trip a CPU without AVX-512 gets. jump: on an AVX-512
    CPU the entry moves the vector registers by hand; jump-xsave: it
    saves them with xsavec64 (insn_tramp.c)."""
    d = tmp_path / "native"
    d.mkdir()
    native = subprocess.run([str(RAW / "raw_vecsave"), str(d / "pool"),
                             *isa], capture_output=True, text=True)
    if native.returncode == 77:
        pytest.skip(native.stdout)
    assert native.returncode == 0, native.stdout
    d = tmp_path / "pmem"
    d.mkdir()
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(d), "--",
                          str(RAW / "raw_vecsave"), str(d / "pool"), *isa],
                         capture_output=True, text=True,
                         env=env_for(mode, tmp_path / "cache"))
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == native.stdout
    m = re.search(r"patched (\d+) of (\d+)", res.stderr)
    assert m and m.group(1) == m.group(2), res.stderr
    assert "could not take a jump" not in res.stderr or mode == "int3"


def test_bad_patch_mode_stops(pmemu_bin, tmp_path):
    env = env_for("trap", tmp_path / "cache")
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(tmp_path),
                          "--", str(RAW / "raw_clwb_ok"),
                          str(tmp_path / "pool")], capture_output=True,
                         text=True, env=env)
    assert res.returncode == 2, res.stderr
    assert "PMEMU_PATCH" in res.stderr, res.stderr
