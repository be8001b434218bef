"""test_golden.py -- the text reports of `pmemu run` and `pmemu explore`
against expected files (golden/*.exp), masked as pmemcheck's tests mask
theirs with filter_stderr: module offsets, temporary paths and process
ids vary from run to run and build to build, the rest must not. The
examples of docs/report-format.md are checked the same way: each block
after an `<!-- example: ... -->` comment is what that command prints.

To update a file after an intended change of the format:
PMEMU_GOLDEN_UPDATE=1 pytest scripts/tests/test_golden.py
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import BUILD, SOURCE
from test_libpmem_run import clean_env

HERE = SOURCE / "scripts" / "tests"
GOLDEN = HERE / "golden"
PROGS = HERE / "progs"
PLUGIN = BUILD / "lib" / "pmemu-gcc.so"
DOC = SOURCE / "docs" / "report-format.md"

pytestmark = pytest.mark.skipif(not PLUGIN.exists(),
                                reason="the pmemu GCC plugin is not built")


def mask(text, tmp_path):
    """what varies between runs: module offsets, temporary paths, pids"""
    text = text.replace(str(tmp_path), "<tmp>")
    text = re.sub(r"\(([^()\s]+)\+0x[0-9a-f]+", r"(\1+0x?", text)
    text = re.sub(r"/tmp/pmemu-[\w.-]+", "<tmp>", text)
    text = re.sub(r"process \d+", "process <pid>", text)
    text = re.sub(r"trace <tmp>/trace: \d+ bytes", "trace <tmp>/trace: "
                  "<n> bytes", text)
    return text


def build(tmp_path, cc, src, *libs):
    exe = tmp_path / src.replace(".c", "")
    subprocess.run([cc, f"-fplugin={PLUGIN}", "-g", "-O1", "-I",
                    str(SOURCE / "include"), str(PROGS / src), "-o",
                    str(exe), *libs], check=True)
    return exe


def pmemu(pmemu_bin, tmp_path, *args):
    res = subprocess.run([pmemu_bin, *args], capture_output=True, text=True,
                         env=clean_env(), cwd=tmp_path)
    return res


def compare(name, text):
    path = GOLDEN / name
    if os.environ.get("PMEMU_GOLDEN_UPDATE"):
        path.write_text(text)
    assert text == path.read_text(), f"{path} differs:\n{text}"


# the commands whose text reports are kept, by golden file name:
# (program source, libraries, pmemu arguments with {exe} and {pm})
CASES = {
    "run_example.exp": ("findings_cases.c", ["-ldl"],
                        ["run", "--pmem-dir", "{pm}", "--error-exitcode=1",
                         "--", "{exe}", "{pm}/pool", "example"]),
    "run_tx_add_late.exp": ("tx_add_late.c", ["-lpmemobj", "-ldl"],
                            ["run", "--pmem-dir", "{pm}", "--", "{exe}",
                             "{pm}/pool", "late"]),
    "explore_commit.exp": ("commit.c", ["-lpmem", "-ldl"],
                           ["explore", "--pmem-dir", "{pm}", "--strategy",
                            "pessimistic", "--check", sys.executable + " " +
                            str(PROGS / "check_pool.py") + " commit {pmem}",
                            "--", "{exe}", "{pm}/pool", "wrong"]),
}


def run_case(pmemu_bin, tmp_path, cc, src, libs, args):
    exe = build(tmp_path, cc, src, *libs)
    pm = tmp_path / "pm"
    pm.mkdir()
    args = [a.replace("{exe}", str(exe)).replace("{pm}", str(pm))
            for a in args]
    res = pmemu(pmemu_bin, tmp_path, *args)
    # run prints its report on stderr; explore on stdout, notes on stderr
    out = res.stdout + res.stderr if args[0] == "explore" else res.stderr
    return res, mask(out, tmp_path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_report_matches_golden(pmemu_bin, tmp_path, cc, name):
    src, libs, args = CASES[name]
    res, text = run_case(pmemu_bin, tmp_path, cc, src, libs, args)
    assert res.returncode in (0, 1), res.stderr
    compare(name, text)


def doc_examples():
    """(case name, text) for every example block the doc marks"""
    found = re.findall(r"<!-- example: (\S+) -->\n```\n(.*?)```",
                       DOC.read_text(), re.S)
    assert found, "no marked example in docs/report-format.md"
    return found


@pytest.mark.parametrize("name,text", doc_examples())
def test_doc_example_is_real_output(name, text):
    """the doc shows the golden file's text (masked the same way)"""
    assert name in CASES, name
    assert text == (GOLDEN / name).read_text()


def test_notes_follow_the_report_in_one_file(pmemu_bin, tmp_path, cc):
    """stdout and stderr to the same file: the note about the kept
    recording comes after the report, never inside or before it"""
    src, libs, args = CASES["explore_commit.exp"]
    exe = build(tmp_path, cc, src, *libs)
    pm = tmp_path / "pm"
    pm.mkdir()
    args = [a.replace("{exe}", str(exe)).replace("{pm}", str(pm))
            for a in args]
    out = tmp_path / "out.txt"
    with open(out, "w") as f:
        res = subprocess.run([pmemu_bin, *args], stdout=f, stderr=f,
                             env=clean_env())
    assert res.returncode == 1
    lines = out.read_text().splitlines()
    kept = [i for i, l in enumerate(lines) if "recording is kept" in l]
    rebuild = [i for i, l in enumerate(lines) if l.startswith("rebuild")]
    assert kept and rebuild and kept[0] > rebuild[0], lines
