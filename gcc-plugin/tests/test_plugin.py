"""test_plugin.py -- pmemu-gcc.so: which hooks fire at which line, at
-O0/-O2/-O3, in C and C++; the warnings; runs without any runtime.

Run by ctest with PMEMU_PLUGIN (the plugin), PMEMU_FAKE_RT (fake_rt.so,
which logs every hook) and PMEMU_INCLUDE (the include dirs) set."""
import collections
import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(HERE, "progs")
WARN = os.path.join(HERE, "warn")
PLUGIN = os.environ["PMEMU_PLUGIN"]
# the same file under a name without '-', which GCC can pass arguments to
PLUGIN_ARGS = os.path.join(os.path.dirname(PLUGIN), "pmemu_gcc.so")
ARG = "-fplugin-arg-pmemu_gcc-"
FAKE_RT = os.environ["PMEMU_FAKE_RT"]
INCLUDES = ["-I" + d for d in os.environ["PMEMU_INCLUDE"].split(":")]
INCLUDES.append("-I" + PROGS)
OPTS = ["-O0", "-O2", "-O3"]
ENV = dict(os.environ, LC_ALL="C")
MARK = re.compile(r"pmemu:\s*(.*?)\s*(?:\*/)?\s*$")
# (source, language): C programs are also built as C++ where valid C++
CASES = [("stores.c", "c"), ("strings.c", "c"), ("atomics.c", "c"),
         ("intrinsics.c", "c"), ("asm.c", "c"), ("cxx.cc", "c++"),
         ("stores.c", "c++"), ("strings.c", "c++"), ("intrinsics.c", "c++"),
         ("asm.c", "c++"), ("groups.c", "c"), ("groups.c", "c++"),
         ("alloc.c", "c"), ("alloc.c", "c++")]


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


CPU = cpu_flags()


def expected_events(src, opt):
    """Counter of (line, kind, offset, len) from the "pmemu:" marks."""
    want = collections.Counter()
    with open(src) as f:
        for lineno, text in enumerate(f, 1):
            m = MARK.search(text)
            if not m or "EVENT" in text:
                continue
            for event in m.group(1).split(","):
                tags = re.findall(r"\[(\w+)\]", event)
                words = re.sub(r"\[\w+\]", "", event).split()
                if ("O2" in tags and opt == "-O0" or
                        "O0" in tags and opt != "-O0"):
                    continue
                if any(t not in ("O0", "O2", *CPU) for t in tags):
                    continue
                kind = words[0]
                off = words[1] if len(words) > 1 else "-"
                size = words[2] if len(words) > 2 else "0"
                want[(lineno, kind, off, size)] += 1
    return want


def compile_prog(src, out, opt, lang="c", plugin=True, extra=(), env=None):
    cc = "g++" if lang == "c++" else "gcc"
    cmd = [cc, opt, "-g", "-x", lang] + INCLUDES + [src, "-x", "none"]
    if plugin:
        cmd.append("-fplugin=" + (PLUGIN_ARGS if extra else PLUGIN))
    cmd += list(extra) + ["-o", out]
    return subprocess.run(cmd, capture_output=True, text=True,
                          env=env or ENV)


def logged_events(exe, tmp_path, src):
    log = tmp_path / "hooks.log"
    env = dict(ENV, LD_PRELOAD=FAKE_RT, PMEMU_FAKE_LOG=str(log))
    run = subprocess.run([exe], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    got = collections.Counter()
    name = os.path.basename(src)
    for line in log.read_text().splitlines() if log.exists() else []:
        kind, off, size, where = line.split(" ", 4)[:4]
        path, lineno = where.rsplit(":", 1)
        if os.path.basename(path) == name:
            got[(int(lineno), kind, off, size)] += 1
    return got


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("name,lang", CASES)
def test_hooks_at_marked_lines(name, lang, opt, tmp_path):
    src = os.path.join(PROGS, name)
    exe = str(tmp_path / "prog")
    built = compile_prog(src, exe, opt, lang)
    assert built.returncode == 0, built.stderr
    assert "pmemu:" not in built.stderr  # no warning for these programs
    got = logged_events(exe, tmp_path, src)
    want = expected_events(src, opt)
    assert got == want, ("missing %s, unexpected %s" %
                         (sorted(want - got), sorted(got - want)))


@pytest.mark.parametrize("name,lang", CASES)
def test_runs_without_runtime(name, lang, tmp_path):
    """No libpmemu at all: same exit code and output as a plain build."""
    src = os.path.join(PROGS, name)
    outputs = []
    for plugin in (True, False):
        exe = str(tmp_path / ("with" if plugin else "without"))
        built = compile_prog(src, exe, "-O2", lang, plugin)
        assert built.returncode == 0, built.stderr
        run = subprocess.run([exe], capture_output=True, text=True, env=ENV)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].strip()


def nm_symbols(exe):
    out = subprocess.run(["nm", exe], capture_output=True, text=True).stdout
    return {line.split()[-1]: line.split()[-2] for line in out.splitlines()}


def test_hooks_are_weak_and_slot_hidden(tmp_path):
    exe = str(tmp_path / "prog")
    assert compile_prog(os.path.join(PROGS, "stores.c"), exe,
                        "-O2").returncode == 0
    syms = nm_symbols(exe)
    for hook in ("__pmemu_store", "__pmemu_register_slot",
                 "__pmemu_register_slot_alias"):
        assert syms[hook] in ("w", "v"), syms[hook]
    dynsym = subprocess.run(["nm", "-D", exe], capture_output=True,
                            text=True).stdout
    assert "__pmemu_slot_alias" in syms and "__pmemu_slot" not in dynsym


# -O0: a[i] and v are skipped (auto variables), *q is not (no points-to
# information at -O0); -O2: points-to proves q points into a[]
@pytest.mark.parametrize("opt,local_sites", [("-O0", 1), ("-O2", 0)])
def test_stack_stores_not_instrumented(opt, local_sites, tmp_path):
    built = compile_prog(os.path.join(PROGS, "stores.c"),
                         str(tmp_path / "p"), opt,
                         extra=[ARG + "stats"])
    assert built.returncode == 0, built.stderr
    sites = {fn: int(n) for n, fn in re.findall(
        r"pmemu: (\d+) sites instrumented in '(\w+)'", built.stderr)}
    assert sites["local_only"] == local_sites
    assert sites["put_long"] == 1


def sites_per_function(stderr):
    return {fn: int(n) for n, fn in re.findall(
        r"pmemu: (\d+) sites instrumented in '(\w+)'", stderr)}


# a malloc-attributed user allocator may return pmem: its stores are
# instrumented; the C library's allocators (built-ins) return DRAM: their
# stores are skipped once points-to runs
@pytest.mark.parametrize("lang", ["c", "c++"])
@pytest.mark.parametrize("opt", OPTS)
def test_allocator_results(opt, lang, tmp_path):
    built = compile_prog(os.path.join(PROGS, "alloc.c"),
                         str(tmp_path / "p"), opt, lang,
                         extra=[ARG + "stats"])
    assert built.returncode == 0, built.stderr
    sites = sites_per_function(built.stderr)
    assert sites["pool_store"] == 1
    assert sites["pool_realloc"] == 1
    for fn in ("dram_malloc", "dram_calloc_realloc", "dram_stack",
               "dram_strdup"):
        assert (sites[fn] == 0) == (opt != "-O0"), (fn, built.stderr)


@pytest.mark.parametrize("opt", OPTS)
def test_stores_through_one_base_share_a_check(opt, tmp_path):
    built = compile_prog(os.path.join(PROGS, "groups.c"),
                         str(tmp_path / "p"), opt, extra=[ARG + "stats"])
    assert built.returncode == 0, built.stderr
    checks = {fn: (int(n), int(c)) for n, fn, c in re.findall(
        r"pmemu: (\d+) sites instrumented in '(\w+)', (\d+) checks",
        built.stderr)}
    assert checks["fill_node"] == (4, 1)
    assert checks["straddle"] == (2, 1)
    # -O0 keeps the loop: one store, run four times
    assert checks["fill_line"] == ((1, 1) if opt == "-O0" else (4, 1))


@pytest.mark.parametrize("opt", ["-O2", "-O3"])
def test_a_run_of_stores_is_one_call(opt, tmp_path):
    """fill_line's four stores (one location, each where the last ended)
    reach the runtime in one __pmemu_store_run; fill_node's (four lines)
    one by one"""
    exe = str(tmp_path / "groups")
    built = compile_prog(os.path.join(PROGS, "groups.c"), exe, opt)
    assert built.returncode == 0, built.stderr
    dis = subprocess.run(["objdump", "-d", exe], capture_output=True,
                         text=True, check=True).stdout
    calls = {}
    for fn, body in re.findall(r"<([\w.]+)>:\n(.*?)\n\n", dis, re.S):
        calls[fn.split(".")[0]] = calls.get(fn.split(".")[0], "") + body
    assert calls["fill_line"].count("<__pmemu_store_run@plt>") == 1
    assert "<__pmemu_store@plt>" not in calls["fill_line"]
    assert "<__pmemu_store_run@plt>" not in calls["fill_node"]


@pytest.mark.parametrize("opt", OPTS)
def test_flush_hook_instead_of_the_instruction(opt, tmp_path):
    """under a runtime, a flush of its range calls the hook and does not
    run the instruction (the range is unmapped: it would fault); without
    one, the instruction runs (and faults here)"""
    src = os.path.join(PROGS, "flush_instead.c")
    exe = str(tmp_path / "prog")
    built = compile_prog(src, exe, opt)
    assert built.returncode == 0, built.stderr
    log = tmp_path / "hooks.log"
    env = dict(ENV, LD_PRELOAD=FAKE_RT, PMEMU_FAKE_LOG=str(log))
    run = subprocess.run([exe], capture_output=True, text=True, env=env)
    assert run.returncode == 0 and run.stdout == "flushed\n", run.stderr
    kinds = [ln.split()[0] for ln in log.read_text().splitlines()]
    assert kinds == ["clflush"] + [k for k in ("clflushopt", "clwb")
                                   if k in CPU]
    native = subprocess.run([exe], capture_output=True, env=ENV)
    assert native.returncode == -11


def test_unknown_argument_warns(tmp_path):
    built = compile_prog(os.path.join(PROGS, "stores.c"),
                         str(tmp_path / "p"), "-O2",
                         extra=[ARG + "bogus=1"])
    assert built.returncode == 0
    assert "unknown argument 'bogus'" in built.stderr


def test_arguments_from_the_environment(tmp_path):
    """PMEMU_GCC_PLUGIN_ARGS works with pmemu-gcc.so itself."""
    env = dict(ENV, PMEMU_GCC_PLUGIN_ARGS="stats bogus2")
    built = compile_prog(os.path.join(PROGS, "stores.c"),
                         str(tmp_path / "p"), "-O2", env=env)
    assert built.returncode == 0, built.stderr
    assert "unknown argument 'bogus2'" in built.stderr
    assert "1 sites instrumented in 'put_long'" in built.stderr


def test_exclude_needs_a_value(tmp_path):
    built = compile_prog(os.path.join(PROGS, "stores.c"),
                         str(tmp_path / "p"), "-O2",
                         extra=[ARG + "exclude"])
    assert built.returncode != 0
    assert "needs '=FILE'" in built.stderr


def test_exclude_missing_file_is_an_error(tmp_path):
    built = compile_prog(os.path.join(PROGS, "stores.c"),
                         str(tmp_path / "p"), "-O2",
                         extra=[ARG + "exclude=/nonexistent"])
    assert built.returncode != 0
    assert "cannot read exclude file '/nonexistent'" in built.stderr


@pytest.mark.parametrize("patterns,silenced", [
    ("# trusted code\nstores.c\n", {16, 17, 18, 19, 20, 21, 22, 23}),
    ("src:*/progs/stores.*\n", {16, 17, 18, 19, 20, 21, 22, 23}),
    ("fun:put_long\nfun:put_*t\n", {16, 18, 22}),
    ("other.c\n", set()),
])
def test_exclude(patterns, silenced, tmp_path):
    src = os.path.join(PROGS, "stores.c")
    excl = tmp_path / "exclude.txt"
    excl.write_text(patterns)
    exe = str(tmp_path / "p")
    built = compile_prog(src, exe, "-O2",
                         extra=[ARG + "exclude=" + str(excl)])
    assert built.returncode == 0, built.stderr
    got = logged_events(exe, tmp_path, src)
    want = collections.Counter({k: v for k, v in
                                expected_events(src, "-O2").items()
                                if k[0] not in silenced})
    assert got == want


def compile_warn(name, extra=()):
    src = os.path.join(WARN, name)
    cmd = ["gcc", "-O2", "-c", "-fplugin=" + PLUGIN, src, "-o", os.devnull]
    return subprocess.run(cmd + list(extra), capture_output=True, text=True,
                          env=ENV)


@pytest.mark.parametrize("name,text,extra", [
    ("asm_unknown.c", "'asm' instruction 'fxsave %0' may write memory", []),
    ("asm_rep.c", "'asm' instruction 'rep stosb' may write memory", []),
    ("asm_byte.c",
     "'asm' instruction '.byte 0x0f, 0x01, 0xd0' may write memory", []),
    ("asm_address.c", "cannot tell the address used by 'asm' instruction "
     "'clflush (%%rbx)'", []),
    ("scatter.c", "'__builtin_ia32_scatter", ["-O3", "-march=skylake-avx512"]),
])
def test_warning(name, text, extra):
    built = compile_warn(name, extra)
    assert built.returncode == 0, built.stderr
    assert "warning: pmemu: " in built.stderr
    assert text in built.stderr, built.stderr


def test_no_warning_for_register_only_asm():
    built = compile_warn("asm_quiet.c")
    assert built.returncode == 0
    assert "pmemu" not in built.stderr, built.stderr


def test_unknown_asm_output_reported_as_store(tmp_path):
    """fxsave is not understood: its "=m" output is still a store."""
    src = tmp_path / "fx.c"
    src.write_text('#include "prog.h"\n'
                   '#include "%s"\n'
                   'int main(void) { char *pm = prog_pmem();\n'
                   ' save_fpu((char (*)[512])(pm + 512)); return 0; }\n'
                   % os.path.join(WARN, "asm_unknown.c"))
    exe = str(tmp_path / "fx")
    built = compile_prog(str(src), exe, "-O2")
    assert built.returncode == 0, built.stderr
    got = logged_events(exe, tmp_path, os.path.join(WARN, "asm_unknown.c"))
    assert got == collections.Counter({(6, "store", "512", "512"): 1})
