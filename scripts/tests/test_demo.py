"""test_demo.py -- the README's examples do what the README says."""
import os
import pathlib
import re
import subprocess

SRC = pathlib.Path(__file__).resolve().parents[1] / "demo"


def line_of(path, text):
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not in {path}")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, **kw)


def test_demo_script_finds_and_explains(build_dir):
    env = dict(os.environ, PMEMU_BUILD_DIR=str(build_dir))
    r = run([str(SRC.parent / "demo.sh")], env=env)
    out = r.stdout + r.stderr
    store = line_of(SRC / "demo_log.c", "strncpy(e, msg")
    # pmemu run: the entry store never made durable, at its line
    assert "unpersisted stores" in out
    assert f"log_append (demo_log.c:{store})" in out
    # pmemu explore: a failing state and the line that explains it
    assert "FAIL" in out
    assert re.search(r"log\.pool\+0x40 \(64 bytes\): never flushed", out)
    # the untraced-stores note: rebuild the program (its strncpy calls
    # are traced then), never libc
    assert ("intermediate states of those lines were not explored (build "
            "pmemu-demo with the pmemu GCC plugin)") in out, out


def test_both_builds_name_the_exact_store(build_dir, tmp_path):
    pmemu = build_dir / "bin" / "pmemu"
    plain = build_dir / "bin" / "pmemu-demo-account"
    plugin = build_dir / "bin" / "pmemu-demo-account-plugin"
    first = line_of(SRC / "account.c", "acc->balance = 100")
    missed = line_of(SRC / "account.c", "acc->last_update = ")
    results = {}
    for name, exe in (("plain", plain), ("plugin", plugin)):
        d = tmp_path / name
        d.mkdir()
        r = run([str(pmemu), "run", "--pmem-dir", str(d), "--",
                 str(exe), str(d / "acc")])
        assert r.returncode == 0, r.stderr
        results[name] = r.stdout + r.stderr
    for name in ("plain", "plugin"):
        assert "1 store from 1 site not durable" in results[name]
        assert f"at main (account.c:{missed})" in results[name], \
            results[name]
        # the page's first store is not the one named
        assert f"at main (account.c:{first})" not in results[name]
    # page protection: the store faulted on the page protected again
    # after the first one, so its site is its own, not a guess
    assert "site guessed" not in results["plain"], results["plain"]
