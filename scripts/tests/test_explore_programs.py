"""test_explore_programs.py -- pmemu explore end to end: programs recorded
under the shim (scripts/tests/progs/), built with the GCC plugin so their
stores are traced one by one, checked by progs/check_pool.py."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(HERE, "progs")
PMEMU = os.environ.get("PMEMU", "pmemu")
LIBDIR = os.environ.get("PMEMU_LIBDIR", "")
SOURCE = os.environ.get("PMEMU_SOURCE_DIR", os.path.dirname(
    os.path.dirname(HERE)))
PLUGIN = os.path.join(LIBDIR, "pmemu-gcc.so")


def build_progs(out, names):
    """progs/NAME.c built into out (with the GCC plugin when it is
    built, so every store is traced): {name: path}"""
    built = {}
    for name in names:
        exe = out / name
        cmd = ["cc", "-O1", "-g", "-I", os.path.join(SOURCE, "include"),
               os.path.join(PROGS, name + ".c"), "-o", str(exe), "-lpmem",
               "-ldl"]
        if os.path.exists(PLUGIN):
            cmd.insert(1, "-fplugin=" + PLUGIN)
        subprocess.run(cmd, check=True)
        built[name] = str(exe)
    return built


def tagged_line(name, tag):
    """the number of the line of progs/NAME.c carrying /* TAG */"""
    with open(os.path.join(PROGS, name + ".c")) as f:
        for n, text in enumerate(f, 1):
            if f"/* {tag} */" in text:
                return n
    raise AssertionError(f"no /* {tag} */ in {name}.c")


def record_missing():
    """the reason to skip while `pmemu record` is a placeholder, or None"""
    r = subprocess.run([PMEMU, "record", "-o", "/dev/null", "--", "true"],
                       capture_output=True, text=True)
    if "not yet implemented" in r.stderr:
        return r.stderr.strip()
    return None


pytestmark = pytest.mark.skipif(record_missing() is not None,
                                reason=str(record_missing()))


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    return build_progs(tmp_path_factory.mktemp("progs"),
                       ("commit", "together", "publish"))


def explore_program(tmp_path, argv, check, *opts):
    """`pmemu explore OPTS --check CHECK --json r.json -- ARGV` with a
    fresh --pmem-dir tmp_path/pm ({pm} in argv): (result, report)"""
    pm = tmp_path / "pm"
    pm.mkdir(exist_ok=True)
    for f in pm.iterdir():
        f.unlink()
    report = tmp_path / "r.json"
    r = subprocess.run(
        [PMEMU, "explore", "--pmem-dir", str(pm), *opts, "--check", check,
         "--json", str(report), "--",
         *[a.replace("{pm}", str(pm)) for a in argv]],
        capture_output=True, text=True)
    rep = json.loads(report.read_text()) if report.exists() else None
    return r, rep


def explore(tmp_path, exe, arg, check, strategy):
    return explore_program(
        tmp_path, [exe, "{pm}/pool", arg],
        "%s %s %s {pmem}" % (sys.executable,
                             os.path.join(PROGS, "check_pool.py"), check),
        "--strategy", strategy)


def test_commit_in_the_wrong_order_fails_naming_the_line(tmp_path, progs):
    r, rep = explore(tmp_path, progs["commit"], "wrong", "commit",
                     "pessimistic")
    assert r.returncode == 1, r.stdout + r.stderr
    expl = rep["first_failure"]["explanation"]
    assert expl["status"] == "minimal"
    assert [x["off"] for x in expl["lines"]] == ["0x0"]
    frame = expl["lines"][0]["store_site"]["frames"][0]
    assert frame["function"] == "main"
    assert frame["file"].endswith("commit.c")
    assert "commit.c:" in r.stdout


@pytest.mark.parametrize("strategy", ["pessimistic", "inflight", "eviction",
                                      "torn", "all"])
def test_commit_in_the_right_order_never_fails(tmp_path, progs, strategy):
    r, rep = explore(tmp_path, progs["commit"], "right", "commit", strategy)
    assert r.returncode == 0, r.stdout + r.stderr
    assert rep["verdict"] == "pass"


@pytest.mark.parametrize("strategy", ["pessimistic", "inflight", "eviction",
                                      "torn", "all"])
def test_data_and_flag_in_one_line_pass_every_strategy(tmp_path, progs,
                                                       strategy):
    r, rep = explore(tmp_path, progs["together"], "one", "one", strategy)
    assert r.returncode == 0, r.stdout + r.stderr


def test_data_and_flag_in_two_lines_under_one_persist_fail(tmp_path, progs):
    r, rep = explore(tmp_path, progs["together"], "two", "two", "all")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = rep["first_failure"]["explanation"]["lines"]
    assert [x["off"] for x in lines] == ["0x0"]


@pytest.mark.skipif(not os.path.exists(PLUGIN),
                    reason="needs the GCC plugin to see a 16-byte store")
def test_wide_descriptor_publish_fails_torn(tmp_path, progs):
    r, rep = explore(tmp_path, progs["publish"], "wide", "wide", "torn")
    assert r.returncode == 1, r.stdout + r.stderr
    assert ":0.0=t" in rep["first_failure"]["state"]


def test_pointer_publish_passes_torn(tmp_path, progs):
    r, rep = explore(tmp_path, progs["publish"], "ptr", "ptr", "all")
    assert r.returncode == 0, r.stdout + r.stderr
