"""test_check_command.py -- the --check command line (issue 11.1, 11.9,
11.13): {pmem} and {pmemdir} are never shell syntax nor split, a command
without shell syntax runs without a shell, and what a check leaves running
in the background is ended before the next check.

The demo (pmemu-demo append/check) has a missing flush: exploring it must
FAIL whatever the pool's path looks like.
"""
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import BUILD
from test_shim_run import clean_env

DEMO = BUILD / "bin" / "pmemu-demo"


def explore(pmemu_bin, pool, check, *options, cwd=None):
    pmem = pathlib.Path(pool).parent
    return subprocess.run(
        [pmemu_bin, "explore", "--no-progress", "--pmem-dir", str(pmem),
         *options, "--check", check, "--", str(DEMO), "append", str(pool),
         "hello", "world"],
        capture_output=True, text=True, cwd=cwd, env=clean_env(),
        stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("name", ["x;touch PWNED;.pool",
                                  "$(touch PWNED).pool",
                                  "`touch PWNED`.pool",
                                  "x\ntouch PWNED\n.pool",
                                  "it's \"quoted\" $HOME.pool"])
@pytest.mark.parametrize("form", ["{pmem}", "'{pmem}'", '"{pmem}"'])
def test_hostile_pool_names_are_one_word(pmemu_bin, tmp_path, name, form):
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    # && makes it a shell command: the value is quoted for the shell
    r = explore(pmemu_bin, pmem / name,
                f"{DEMO} check {form} && test -f {form}", cwd=tmp_path)
    assert not list(tmp_path.rglob("PWNED")), "a pool name ran a command"
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL" in r.stdout


@pytest.mark.parametrize("shell", [False, True])
def test_a_path_with_a_space_is_not_split(pmemu_bin, tmp_path, shell):
    pmem = tmp_path / "my pmem"
    pmem.mkdir()
    check = f"{DEMO} check {{pmem}}" + (" && true" if shell else "")
    r = explore(pmemu_bin, pmem / "log pool", check)
    assert r.returncode == 1, r.stdout + r.stderr  # not a false PASS
    assert "FAIL" in r.stdout


def test_the_printed_replay_command_pastes_into_a_shell(pmemu_bin,
                                                        tmp_path):
    """the 'rebuild the image' line names a trace and a media dir with a
    space and a quote: pasted into sh (DIR replaced) it rebuilds the
    image"""
    odd = tmp_path / "it's my dir"
    odd.mkdir()
    trace = odd / "t r'ace"
    pmem = odd / "p m"
    pmem.mkdir()
    rec = subprocess.run([pmemu_bin, "record", "--pmem-dir", str(pmem), "-o",
                          str(trace), "--", str(DEMO), "append",
                          str(pmem / "log.pool"), "hello"],
                         capture_output=True, text=True, env=clean_env())
    assert rec.returncode == 0, rec.stderr
    r = subprocess.run([pmemu_bin, "explore", "--no-progress", "--trace",
                        str(trace), "--pmem-dir", str(pmem), "--check",
                        f"{DEMO} check {{pmem}}"],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 1, r.stdout + r.stderr
    line = [ln for ln in r.stdout.splitlines()
            if ln.startswith("rebuild the image: ")][0]
    cmd = line[len("rebuild the image: "):].replace(
        "pmemu ", f"{pmemu_bin} ", 1).replace("-o DIR", "-o out")
    rep = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True,
                         text=True, cwd=tmp_path, env=clean_env())
    assert rep.returncode == 0, cmd + "\n" + rep.stderr
    assert (tmp_path / "out" / "log.pool").is_file(), rep.stderr


PARENT = ("import os,sys; p=open('/proc/%d/comm' % os.getppid()).read()"
          "; open(sys.argv[2], 'a').write(p)")


def parents(pmemu_bin, tmp_path, check):
    script = tmp_path / "parent.py"
    script.write_text(PARENT.replace("; ", "\n"))
    log = tmp_path / "parents"
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    r = explore(pmemu_bin, pmem / "log.pool",
                check.format(py=sys.executable, script=script, log=log))
    assert r.returncode == 0, r.stdout + r.stderr
    return set(log.read_text().split())


def test_a_command_without_shell_syntax_runs_without_a_shell(pmemu_bin,
                                                              tmp_path):
    assert parents(pmemu_bin, tmp_path,
                   "{py} {script} {{pmem}} {log}") == {"pmemu"}


def test_a_command_with_shell_syntax_runs_in_the_shell(pmemu_bin, tmp_path):
    assert parents(pmemu_bin, tmp_path,
                   "{py} {script} {{pmem}} {log} || true") == {"sh"}


def test_a_builtin_still_runs(pmemu_bin, tmp_path):
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    r = explore(pmemu_bin, pmem / "log.pool", "exit 3 {pmem}")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "exit status 3" in r.stdout


def alive(marker):
    """processes whose command line holds marker"""
    found = []
    for p in pathlib.Path("/proc").iterdir():
        try:
            if marker in (p / "cmdline").read_bytes():
                found.append(int(p.name))
        except (OSError, ValueError):
            pass
    return found


@pytest.mark.parametrize("how", ["sleep {t} & exit 0",
                                 "setsid sleep {t} & exit 0",
                                 "(setsid sh -c 'sleep {t} & exit 0') "
                                 "& sleep 30"])
def test_background_children_of_a_check_are_ended(pmemu_bin, tmp_path, how):
    # a number nothing else sleeps for, to find our own sleeps
    t = 7000 + os.getpid() % 1000
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    opts = ("--timeout", "1") if "sleep 30" in how else ()
    r = explore(pmemu_bin, pmem / "log.pool",
                how.format(t=t) + " # {pmem}", *opts)
    left = alive(b"sleep\0%d\0" % t)
    for pid in left:
        os.kill(pid, 9)
    assert left == [], "a check's background child outlived explore"
    assert r.returncode in (0, 1), r.stderr
