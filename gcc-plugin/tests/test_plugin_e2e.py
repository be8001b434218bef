"""test_plugin_e2e.py -- programs built with pmemu-gcc.so, run under the
real runtime (`pmemu run`, `pmemu explore`), for every instrumented form.

Each program of e2e/ is a correct twin; built with -DBUGGY it loses one
line (a flush, a fence, or a store moves). The buggy twin must give one
finding of the form's class naming the line marked PLANTED; the correct
twin must give none. Every form is built at -O0, -O2 and -O3 as C, and
the main variant of each also as C++. A few cases also run the same
program built without the plugin, to show what only the plugin finds (or
finds at a more precise line). Every program is compiled once per
variant, language, level and twin, in parallel, and reused.

Run by ctest with PMEMU (the pmemu command) and PMEMU_GCC_PLUGIN_DIR
(where pmemu-gcc.so is) set (e2e/e2e.cmake)."""
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "e2e")
PMEMU = os.environ["PMEMU"]
# a variable the shim knows (it stops on an unknown PMEMU_*: docs/options.md)
PLUGIN = os.path.join(os.environ["PMEMU_GCC_PLUGIN_DIR"], "pmemu-gcc.so")
OPTS = ("-O0", "-O2", "-O3")
ENV = dict(os.environ, LC_ALL="C")
UNPERSISTED, NO_FENCE = "unpersisted", "no_fence"
TITLES = {"unpersisted stores": UNPERSISTED, "missing fence": NO_FENCE,
          "redundant flush": "redundant_flush",
          "flush outside pmem": "flush_outside",
          "cpu flush on page cache": "pagecache_flush"}


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


CPU = cpu_flags()

# name: the test id; defines select the variant; tag picks the PLANTED
# line among several; cpu: flags the program needs beyond clwb; langs,
# opts: what it is built as (cxx: also as C++)
Form = collections.namedtuple("Form",
                              "name src defines cls tag cpu langs opts")


def form(name, src, cls, defines=(), tag=None, cpu=(), cxx=False,
         langs=None, opts=OPTS):
    langs = langs or (("c", "c++") if cxx else ("c",))
    return Form(name, src, tuple(defines), cls, tag, tuple(cpu), langs,
                opts)


FORMS = [
    form("store", "store.c", UNPERSISTED, cxx=True),
    form("aggregate", "aggregate.c", UNPERSISTED, cxx=True),
    form("bitfield", "bitfield.c", UNPERSISTED, cxx=True),
    form("memcpy-inline", "memcpy.c", UNPERSISTED, cxx=True),
    form("memcpy-libc", "memcpy.c", UNPERSISTED, ["-DLARGE"]),
    form("memset-inline", "memset.c", UNPERSISTED, cxx=True),
    form("memset-libc", "memset.c", UNPERSISTED, ["-DLARGE"]),
    form("strcpy", "strcpy.c", UNPERSISTED, cxx=True),
    form("malloc-attribute-pool", "palloc.c", UNPERSISTED, cxx=True),
    form("atomic-fetch-add", "rmw.c", NO_FENCE, cxx=True),
    form("sync-fetch-and-add", "rmw.c", NO_FENCE, ["-DRMW_SYNC"]),
    form("atomic-exchange", "rmw.c", NO_FENCE, ["-DRMW_XCHG"]),
    form("atomic-store-seq-cst", "rmw.c", NO_FENCE, ["-DRMW_SEQ_CST"]),
    form("clwb-sfence", "flush.c", NO_FENCE, cxx=True),
    form("clflushopt-mfence", "flush.c", NO_FENCE,
         ["-DFLUSH=_mm_clflushopt", "-DFENCE=_mm_mfence"],
         cpu=["clflushopt"]),
    form("clflush", "clflush.c", UNPERSISTED, cxx=True),
    form("stream-si32", "nt.c", NO_FENCE, ["-DNT_SI32"], "NT_SI32",
         cxx=True),
    form("stream-si64", "nt.c", NO_FENCE, ["-DNT_SI64"], "NT_SI64"),
    form("stream-si128", "nt.c", NO_FENCE, ["-DNT_SI128"], "NT_SI128"),
    form("stream-si512", "nt.c", NO_FENCE, ["-DNT_SI512", "-mavx512f"],
         "NT_SI512", ["avx512f"]),
    form("movdir64b", "nt.c", NO_FENCE, ["-DNT_MOVDIR64B", "-mmovdir64b"],
         "NT_MOVDIR64B", ["movdir64b"]),
    form("asm-clwb-sfence", "asm.c", NO_FENCE, ["-DASM_CLWB"], cxx=True),
    form("asm-clflushopt-lock", "asm.c", NO_FENCE,
         ["-DASM_CLFLUSHOPT", "-DASM_LOCK"], cpu=["clflushopt"]),
    form("asm-xsaveopt-xchg", "asm.c", NO_FENCE,
         ["-DASM_XSAVEOPT", "-DASM_XCHG"]),
    # at -O0 libstdc++'s relaxed store is an xchg: see test_cxx_relaxed_...
    form("std-atomic-fetch-add", "atomic.cc", NO_FENCE, langs=("c++",),
         opts=("-O2", "-O3")),
]
OBJ = form("libpmemobj", "obj.c", UNPERSISTED, cxx=True)
PUBLISH = form("publish", "publish.c", UNPERSISTED)


def cases(forms):
    """(form, lang, opt) for every build the tests check"""
    for f in forms:
        for lang in f.langs:
            for opt in f.opts:
                yield f, lang, opt


def case_id(case):
    f, lang, opt = case
    return "%s-%s%s" % (f.name, "cxx" if lang == "c++" else "c", opt)


def line_of(src, text):
    with open(os.path.join(E2E, src)) as f:
        for lineno, line in enumerate(f, 1):
            if text in line:
                return lineno
    raise AssertionError("%r not in %s" % (text, src))


def planted(f):
    return line_of(f.src, "/* PLANTED %s */" % f.tag if f.tag else
                   "/* PLANTED */")


def missing_cpu(f):
    return [c for c in ("clwb",) + f.cpu if c not in CPU]


# ---- building and running, once per program, in parallel

Built = collections.namedtuple("Built", "exe rc stderr")
Ran = collections.namedtuple("Ran", "rc out findings")


class Builds:
    """Compiles (form, lang, opt, twin, plugin) once each, into TMP."""

    def __init__(self, tmp):
        self.tmp = tmp
        jobs = os.cpu_count() or 2
        # runs wait for builds: two pools, or a full pool would deadlock
        self.build_pool = concurrent.futures.ThreadPoolExecutor(jobs)
        self.run_pool = concurrent.futures.ThreadPoolExecutor(jobs)
        self.jobs = {}
        # the test thread and the run pool's threads both submit builds:
        # without the lock both could start the same build, and one
        # build's linker would be writing the program the other's run
        # executes ("Text file busy")
        self.jobs_lock = threading.Lock()

    def exe_name(self, key):
        f, lang, opt, buggy, plugin = key
        return "%s-%s%s-%s%s" % (f.name, lang.replace("+", "x"), opt,
                                 "buggy" if buggy else "ok",
                                 "" if plugin else "-plain")

    def build(self, key):
        f, lang, opt, buggy, plugin = key
        exe = str(self.tmp / self.exe_name(key))
        cmd = ["g++" if lang == "c++" else "gcc", opt, "-g", "-mclwb",
               "-mclflushopt", "-x", lang, "-I", E2E,
               os.path.join(E2E, f.src), "-x", "none", "-o", exe]
        cmd += list(f.defines) + (["-DBUGGY"] if buggy else [])
        cmd += ["-fplugin=" + PLUGIN] if plugin else []
        cmd += ["-lpmemobj"] if f.src == "obj.c" else []
        r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
        return Built(exe, r.returncode, r.stderr)

    def submit(self, pool, key, fn):
        with self.jobs_lock:
            if key not in self.jobs:
                self.jobs[key] = pool.submit(fn, key)
            return self.jobs[key]

    def get(self, key):
        return self.submit(self.build_pool, key, self.build).result()

    def run(self, key):
        """`pmemu run` of the build KEY; its findings"""
        return self.start_run(key).result()

    def start_run(self, key):
        return self.submit(self.run_pool, ("run",) + key, self._run)

    def shutdown(self):
        for pool in (self.run_pool, self.build_pool):
            pool.shutdown(cancel_futures=True)

    def _run(self, run_key):
        built = self.get(run_key[1:])
        if built.rc != 0:
            return Ran(None, built.stderr, [])
        d = self.tmp / ("pmem-" + self.exe_name(run_key[1:]))
        d.mkdir()
        r = subprocess.run([PMEMU, "run", "--pmem-dir", str(d),
                            "--error-exitcode", "1", "--", built.exe,
                            str(d / "pool")],
                           capture_output=True, text=True, env=ENV,
                           stdin=subprocess.DEVNULL)
        out = r.stdout + r.stderr
        return Ran(r.returncode, out, findings(out))


def findings(text):
    """[(class, [frame, ...])] of a `pmemu run` report
    (docs/report-format.md); a frame reads "main (store.c:15)" """
    found, cls = [], None
    for line in text.splitlines():
        if line.startswith("pmemu: "):  # a class, a note or the total
            m = re.match(r"pmemu: ([a-z ]+): \d+ ", line)
            cls = TITLES.get(m.group(1)) if m else None
        elif re.match(r"\[\d+\] ", line) and cls is not None:
            found.append((cls, []))
        elif re.match(r"\s+(at|by) ", line) and found:
            found[-1][1].append(line.split(None, 1)[1])
    return found


def frame(src, line, func="main"):
    return "%s (%s:%d)" % (func, src, line)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    b = Builds(tmp_path_factory.mktemp("e2e"))
    # start every run now, so that the two cores stay busy
    for f, lang, opt in cases(FORMS + [OBJ]):
        if not missing_cpu(f):
            for buggy in (True, False):
                b.start_run((f, lang, opt, buggy, True))
    yield b
    b.shutdown()


def built_or_fail(builds, key):
    built = builds.get(key)
    assert built.rc == 0, built.stderr
    assert "pmemu:" not in built.stderr  # no plugin warning
    return built


# ---- each form: the buggy twin names the planted line, the correct
# twin has no findings

@pytest.mark.parametrize("case", list(cases(FORMS)), ids=case_id)
def test_buggy_twin_names_the_planted_line(builds, case):
    f, lang, opt = case
    if missing_cpu(f):
        pytest.skip("CPU lacks %s" % missing_cpu(f))
    built_or_fail(builds, (f, lang, opt, True, True))
    ran = builds.run((f, lang, opt, True, True))
    assert ran.rc == 1, ran.out
    assert ran.findings == [(f.cls, [frame(f.src, planted(f))])], ran.out


@pytest.mark.parametrize("case", list(cases(FORMS)), ids=case_id)
def test_correct_twin_has_no_findings(builds, case):
    f, lang, opt = case
    if missing_cpu(f):
        pytest.skip("CPU lacks %s" % missing_cpu(f))
    built_or_fail(builds, (f, lang, opt, False, True))
    ran = builds.run((f, lang, opt, False, True))
    assert ran.rc == 0, ran.out
    assert "pmemu: no findings" in ran.out, ran.out


# ---- what the shim alone (the same program without the plugin) reports

def form_named(name):
    return next(f for f in FORMS if f.name == name)


@pytest.mark.parametrize("name,named", [
    ("store", "/* PLANTED */"),
    ("memcpy-libc", "r->a = 1;"),
    ("malloc-attribute-pool", "hdr[i] = i;"),
])
def test_shim_alone_names_the_stores_that_fault(builds, name, named):
    """page protection sees a store that faults: the page is protected
    again after each of a cold page's first stores, so without the plugin
    pmemu names a store to another line of the page at its own line
    (store); a memcpy fills its first line, which ends that, and the lines
    after it are blamed on the page's first, persisted store (memcpy); a
    store to a hot page does not fault and is blamed on the page's last
    faulting store (malloc-attribute-pool: the plugin must instrument a
    store through a malloc-attributed pool allocator's result)"""
    f = form_named(name)
    plain = builds.run((f, "c", "-O2", True, False))
    plugin = builds.run((f, "c", "-O2", True, True))
    expected = frame(f.src, line_of(f.src, named))
    assert plain.findings and plain.findings[0][0] == UNPERSISTED, plain.out
    assert plain.findings[0][1][0] == expected, plain.out
    assert plugin.findings[0][1] == [frame(f.src, planted(f))], plugin.out


def test_shim_alone_misses_the_atomic_fence(builds):
    """a lock-prefixed RMW is a fence the shim cannot see: without the
    plugin the correct twin is a false 'missing fence'"""
    f = form_named("atomic-fetch-add")
    plain = builds.run((f, "c", "-O2", False, False))
    assert [c for c, _ in plain.findings] == [NO_FENCE], plain.out
    assert plain.findings[0][1][-1] == frame(f.src, planted(f)), plain.out
    plugin = builds.run((f, "c", "-O2", False, True))
    assert plugin.findings == [], plugin.out


def test_cxx_relaxed_store_is_a_fence_at_O0(builds):
    """at -O0 std::atomic<long>::store passes its memory order as a
    variable, so GCC emits a seq_cst store (xchg): the buggy twin of
    atomic.cc is correct as compiled. The plugin sees that fence; the
    shim alone does not (and says so)."""
    f = form_named("std-atomic-fetch-add")
    plugin = builds.run((f, "c++", "-O0", True, True))
    assert plugin.rc == 0 and plugin.findings == [], plugin.out
    plain = builds.run((f, "c++", "-O0", True, False))
    assert plain.findings == [(NO_FENCE, [frame(f.src, planted(f))])], \
        plain.out
    assert "is a fence pmemu cannot see" in plain.out


# ---- mixed code: a plugin-built main on Debian's libpmemobj

def own_findings(ran, src):
    """findings whose innermost frame is in SRC (libpmemobj's own
    unpersisted fields and redundant flushes are left to its tests)"""
    return [(c, frames[0]) for c, frames in ran.findings
            if frames and "(%s:" % src in frames[0]]


@pytest.mark.parametrize("case", list(cases([OBJ])), ids=case_id)
def test_libpmemobj_program(builds, case):
    f, lang, opt = case
    for buggy in (True, False):
        built_or_fail(builds, (f, lang, opt, buggy, True))
    bad = builds.run((f, lang, opt, True, True))
    good = builds.run((f, lang, opt, False, True))
    for ran in (bad, good):
        assert "count=1" in ran.out, ran.out
    assert own_findings(bad, f.src) == [
        (UNPERSISTED, frame(f.src, planted(f)))], bad.out
    assert own_findings(good, f.src) == [], good.out
    # the same findings inside libpmemobj in both twins: one more entry
    assert len(bad.findings) == len(good.findings) + 1


def test_libpmemobj_program_shim_alone(builds):
    """without the plugin, the unpersisted line is credited to the
    transaction's store that first wrote the page"""
    bad = builds.run((OBJ, "c", "-O2", True, False))
    tx = line_of(OBJ.src, "D_RW(root)->count += 1")
    assert own_findings(bad, OBJ.src) == [
        (UNPERSISTED, frame(OBJ.src, tx))], bad.out
    # what libpmemobj itself did is reported the same with or without
    # the plugin in main
    plugin = builds.run((OBJ, "c", "-O2", True, True))
    assert libpmemobj_findings(bad) == libpmemobj_findings(plugin)


def libpmemobj_findings(ran):
    return [(c, [re.sub(r"\+0x[0-9a-f]+", "", fr) for fr in frames])
            for c, frames in ran.findings if "libpmemobj" in frames[0]]


# ---- pmemu explore: the order of two stores to one line

def explore(builds, tmp_path, buggy, plugin, strategy, opt="-O2"):
    built = built_or_fail(builds, (PUBLISH, "c", opt, buggy, plugin))
    pm = tmp_path / "pm"
    pm.mkdir()
    report = tmp_path / "report.json"
    r = subprocess.run(
        [PMEMU, "explore", "--no-progress", "--pmem-dir", str(pm),
         "--strategy", strategy, "--check", built.exe + " -c {pmem}",
         "--json", str(report), "--", built.exe, str(pm / "pool")],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=dict(ENV, TMPDIR=str(tmp_path)))
    rep = json.loads(report.read_text()) if report.exists() else None
    return r, rep


ALL = "pessimistic,inflight,eviction,torn"


@pytest.mark.parametrize("opt", OPTS)
def test_explore_buggy_publish_fails_naming_the_line(builds, tmp_path, opt):
    r, rep = explore(builds, tmp_path, True, True, ALL, opt)
    assert r.returncode == 1, r.stdout + r.stderr
    line = planted(PUBLISH)
    lines = rep["first_failure"]["explanation"]["lines"]
    sites = [x["store_site"]["frames"][0] for x in lines]
    assert [(s["function"], os.path.basename(s["file"]), s["line"])
            for s in sites] == [("main", PUBLISH.src, line)], rep
    assert "stored at " + frame(PUBLISH.src, line) in r.stdout


def test_explore_correct_publish_passes(builds, tmp_path):
    r, rep = explore(builds, tmp_path, False, True, ALL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert rep["verdict"] == "pass"
    assert rep["counts"]["checks"] > 1  # some crash state was checked


def test_explore_shim_alone_misses_the_order(builds, tmp_path):
    """without the plugin a line's stores are not traced one by one, so
    the state "flag without value" is never built"""
    r, rep = explore(builds, tmp_path, True, False, ALL)
    assert r.returncode == 0, r.stdout + r.stderr
    # the note says to rebuild the program itself with the plugin
    assert re.search(r"\(build \S+ with the pmemu GCC plugin\)",
                     r.stdout + r.stderr), r.stdout + r.stderr
