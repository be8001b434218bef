"""test_cli.py -- the pmemu command: dispatch, help, version, usage errors."""
import subprocess


def run(pmemu_bin, *args):
    return subprocess.run([pmemu_bin, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_help_lists_every_command(pmemu_bin):
    r = run(pmemu_bin, "--help")
    assert r.returncode == 0
    for cmd in ("run", "record", "explore", "replay", "list", "merge",
                "trace-dump"):
        assert f"  {cmd} " in r.stdout
    assert "x86-64" in r.stdout


def test_version(pmemu_bin):
    r = run(pmemu_bin, "--version")
    assert r.returncode == 0
    assert r.stdout.startswith("pmemu ")


def test_no_command_is_usage_error(pmemu_bin):
    r = run(pmemu_bin)
    assert r.returncode == 2
    assert "usage:" in r.stderr


def test_unknown_command_one_line(pmemu_bin):
    r = run(pmemu_bin, "exlpore")
    assert r.returncode == 2
    assert r.stderr == ("pmemu: 'exlpore' is not a pmemu command; "
                        "see 'pmemu --help'\n")


def test_unknown_option_one_line(pmemu_bin):
    r = run(pmemu_bin, "--frobnicate")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "unknown option '--frobnicate'" in r.stderr


def test_trace_dump_usage_errors(pmemu_bin, tmp_path):
    r = run(pmemu_bin, "trace-dump")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    r = run(pmemu_bin, "trace-dump", "--bogus")
    assert r.returncode == 2 and "unknown option '--bogus'" in r.stderr
    r = run(pmemu_bin, "trace-dump", str(tmp_path / "missing.trace"))
    assert r.returncode == 2 and "No such file" in r.stderr
    junk = tmp_path / "junk.trace"
    junk.write_bytes(b"x" * 4096)
    r = run(pmemu_bin, "trace-dump", str(junk))
    assert r.returncode == 2
    assert r.stderr.strip().endswith("not a pmemu trace (bad magic) at offset 0")
