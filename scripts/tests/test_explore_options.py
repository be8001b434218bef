"""test_explore_options.py -- explore's options that are refused or bounded
before anything is explored (issue 11.12, 11.13, 11.17), and --line (11.14)."""
import pathlib
import subprocess

from conftest import BUILD
from test_shim_run import clean_env

DEMO = BUILD / "bin" / "pmemu-demo"


def pmemu(pmemu_bin, *args):
    return subprocess.run([pmemu_bin, *map(str, args)], capture_output=True,
                          text=True, env=clean_env(),
                          stdin=subprocess.DEVNULL)


def explore_demo(pmemu_bin, tmp_path, *options):
    pmem = tmp_path / "pmem"
    pmem.mkdir(exist_ok=True)
    return pmemu(pmemu_bin, "explore", "--no-progress", "--pmem-dir", pmem,
                 *options, "--", DEMO, "append", pmem / "log.pool", "a", "b")


def test_an_empty_check_is_refused(pmemu_bin, tmp_path):
    for empty in ("", "  "):
        r = explore_demo(pmemu_bin, tmp_path, "--check", empty)
        assert r.returncode == 2, r.stdout
        assert r.stderr == (f"pmemu: error: explore: --check '{empty}': "
                            "empty command\n")


def test_check_and_check_so_exclude_each_other(pmemu_bin, tmp_path):
    r = explore_demo(pmemu_bin, tmp_path, "--check", "true {pmem}",
                     "--check-so", "lib.so:f")
    assert r.returncode == 2
    assert r.stderr == ("pmemu: error: explore: --check and --check-so "
                        "exclude each other\n")


def test_an_unwritable_json_path_fails_before_recording(pmemu_bin, tmp_path):
    for path in (tmp_path / "no" / "r.json", tmp_path):
        r = explore_demo(pmemu_bin, tmp_path, "--check", "true {pmem}",
                         "--json", path)
        assert r.returncode == 2
        assert r.stderr.startswith(f"pmemu: error: --json {path}: "), r.stderr
        assert "pmemu: trace" not in r.stderr, "recorded first"


def test_json_written_and_existing_one_kept_on_errors(pmemu_bin, tmp_path):
    out = tmp_path / "r.json"
    r = explore_demo(pmemu_bin, tmp_path, "--check",
                     f"{DEMO} check {{pmem}}", "--json", out)
    assert r.returncode == 1, r.stderr
    assert '"failing_states"' in out.read_text()
    r = pmemu(pmemu_bin, "explore", "--check", "true", "--json", out,
              "--trace", tmp_path / "none")
    assert r.returncode == 2
    assert '"failing_states"' in out.read_text(), "an error emptied it"
    fresh = tmp_path / "fresh.json"
    r = pmemu(pmemu_bin, "explore", "--check", "true", "--json", fresh,
              "--trace", tmp_path / "none")
    assert r.returncode == 2 and not fresh.exists()


def test_jobs_are_capped(pmemu_bin, tmp_path):
    r = explore_demo(pmemu_bin, tmp_path, "--check",
                     f"{DEMO} check {{pmem}}", "--jobs", "100000")
    assert r.returncode == 1, r.stderr
    assert ("pmemu: --jobs 100000: at most 256 checks run in parallel"
            in r.stderr)
    # the demo has 4 images: more slots than that are never made
    assert ("note: --jobs 256: 4 checks ran in parallel (no more images "
            "to check at once)") in r.stdout + r.stderr


def test_line_sizes_agree_with_the_docs(pmemu_bin, tmp_path):
    """docs/options.md: --line is a power of two from 64 to 4096"""
    for n in (64, 128, 4096):
        pmem = tmp_path / str(n)
        pmem.mkdir()
        r = pmemu(pmemu_bin, "run", "--line", n, "--pmem-dir", pmem, "--",
                  DEMO, "append", pmem / "log.pool", "a", "b")
        assert r.returncode == 0, r.stderr
    for n in (8, 16, 32, 48, 8192):
        r = pmemu(pmemu_bin, "run", "--line", n, "--pmem-dir", tmp_path,
                  "--", DEMO, "append", tmp_path / "log.pool", "a", "b")
        assert r.returncode == 2
        assert r.stderr == (f"pmemu: error: --line / PMEMU_LINE='{n}': "
                            "expected a power of two from 64 to 4096\n")
    doc = (pathlib.Path(__file__).parents[2] / "docs" / "options.md")
    assert "power of two, 64..4096" in doc.read_text()


def test_json_to_a_pipe(pmemu_bin, tmp_path):
    """a path that is not a regular file (/dev/stdout here a pipe) is
    written as it is, not truncated"""
    r = explore_demo(pmemu_bin, tmp_path, "--check",
                     f"{DEMO} check {{pmem}}", "--json", "/dev/stdout")
    assert r.returncode == 1, r.stderr
    assert '"report": "pmemu-explore"' in r.stdout
