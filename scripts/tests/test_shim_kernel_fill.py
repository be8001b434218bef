"""test_shim_kernel_fill.py -- calls whose answer the kernel writes into
the caller's memory (stat's family, statfs, getcwd, readlink,
getdents64, pipe, socketpair, poll, select, epoll_wait, getsockopt,
wait's family, uname, sysinfo, rlimits, rusage, affinity, signal masks,
sigtimedwait, timers, CPU-time clocks, msgrcv, process_vm_readv,
eventfd_read, ioctl (encoded and older requests), and raw syscall()
numbers), given that memory in emulated pmem. A read-only view
page made each fail with EFAULT under pmemu where natively it succeeds
(waitpid reaped the child and lost its status): the program ran another
way than it does natively. Now the pages are opened first
(libshim/file/shim_kernel_fill.c): each call works, its answer persisted
has no findings, and left unflushed it is reported at the call.
"""
import re
import subprocess

import pytest

from test_shim_run import PROGS, SRC, assert_no_findings, clean_env, run

CALLS = ["fstat", "stat", "fstatat", "statx", "raw_fstat", "fstatfs",
         "getcwd", "readlink", "getdents64", "pipe", "raw_pipe2",
         "socketpair", "poll", "select", "epoll_wait", "getsockopt",
         "waitpid", "wait4", "waitid", "uname", "sysinfo", "getrlimit",
         "getrusage", "sched_getaffinity", "sigprocmask", "sigtimedwait",
         "getitimer", "timerfd_gettime", "clock_gettime", "clock_getres",
         "msgrcv", "process_vm_readv",
         "eventfd_read", "ioctl_fionread", "ioctl_ior", "ioctl_legacy"]

# the text of the call on its line, where it is not CALL(
CALLED = {"raw_fstat": "syscall(SYS_fstat,", "raw_pipe2": "syscall(SYS_pipe2,",
          "ioctl_fionread": "ioctl(p[0], FIONREAD,",
          "ioctl_ior": "ioctl(r, RNDGETENTCNT, buf)",
          "ioctl_legacy": "ioctl(sk, SIOCGIFINDEX, ifr)"}


def fill_line(call):
    """the line of kernel_fill.c that makes `call` (marked FILL)"""
    text = (SRC / "kernel_fill.c").read_text().splitlines()
    called = re.compile(r"\b" + re.escape(CALLED.get(call, call + "(")))
    return next(i for i, line in enumerate(text, 1)
                if "FILL" in line and called.search(line))


def run_fill(pmemu_bin, tmp_path, prog, call):
    return run(pmemu_bin, tmp_path, prog,
               args=[str(tmp_path / "pmem" / "pool"), call])


@pytest.mark.parametrize("call", CALLS)
def test_the_call_works_and_persisted_has_no_findings(pmemu_bin, tmp_path,
                                                      call):
    res = run_fill(pmemu_bin, tmp_path, "kernel_fill_ok", call)
    assert res.stdout == f"{call} ok\n", res.stdout + res.stderr
    assert_no_findings(res)


@pytest.mark.parametrize("call", CALLS)
def test_the_unflushed_answer_is_named_by_the_call(pmemu_bin, tmp_path,
                                                   call):
    res = run_fill(pmemu_bin, tmp_path, "kernel_fill_bad", call)
    assert res.stdout == f"{call} ok\n", res.stdout + res.stderr
    assert "unpersisted stores:" in res.stderr, res.stderr
    assert f"(kernel_fill.c:{fill_line(call)})" in res.stderr, res.stderr


def test_a_descriptor_stats_as_its_file(pmemu_bin, tmp_path):
    """fstat, fstatat and statx of a pmem file's descriptor answer as
    natively (the file's device, inode, mode and links, not its view's),
    before and after the file is unlinked"""
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = subprocess.run([str(PROGS / "view_stat"),
                             str(native_dir / "pool")],
                            capture_output=True, text=True, timeout=60,
                            env=clean_env())
    assert native.returncode == 0, native.stderr
    assert "DIFFERS" not in native.stdout, native.stdout
    res = run(pmemu_bin, tmp_path, "view_stat")
    assert res.stdout == native.stdout, res.stdout + res.stderr
    assert_no_findings(res)
