"""test_shim_inherit.py -- a descriptor of a pmem file that an image
inherits at exec: a shell's `prog > /mnt/pm/pool` opens the file (a view
descriptor, under pmemu) and execs prog with it as standard output. The
new image's shim did not know it named a view: prog's writes reached the
view unseen, "no findings" when unsynced, and the pool file after the
run was all zeros where natively it holds them. A copy_file_range into a
write-only descriptor (the shell's; `cp`'s own) was read back through
that descriptor, which fails: the copy was unseen in one image too.
And glibc's stdio (stdout on such a descriptor, or on one a dup2 made
a view's) and dprintf write from inside libc: unseen, the same way. And
a view's descriptor received over a socket (SCM_RIGHTS), unknown to the
shim: its writes and its mapping's stores unseen.
"""
import subprocess

import pytest

from test_shim_run import (PROGS, assert_finding_at, assert_no_findings,
                           clean_env, run_how)

HOWS = ["write", "copy", "stdout", "fclose", "dprintf", "dup2"]
TAGS = {"write": "WRITE", "copy": "COPY", "dprintf": "DPRINTF"}


def run_shell(pmemu_bin, tmp_path, command):
    pm = tmp_path / "pmem"
    pm.mkdir(exist_ok=True)
    template = tmp_path / "template"
    template.write_bytes(bytes(32 + (i * 31 + 7) % 95 for i in range(4096)))
    cmd = command.format(pool=pm / "pool", template=template,
                         progs=PROGS)
    res = subprocess.run([pmemu_bin, "run", "--pmem-dir", str(pm), "--",
                          "/bin/sh", "-c", cmd], capture_output=True,
                         text=True, env=clean_env(), timeout=600)
    return res, template.read_bytes(), pm / "pool"


@pytest.mark.parametrize("how", HOWS)
def command(prog, how):
    """the shell's command line: standard output on the pool"""
    if how == "dup2":
        return "{progs}/" + prog + " dup2 {template} {pool} > /dev/null"
    return "{progs}/" + prog + " " + how + " {template} > {pool}"


@pytest.mark.parametrize("how", HOWS)
def test_synced_output_reaches_the_pool(pmemu_bin, tmp_path, how):
    res, want, pool = run_shell(pmemu_bin, tmp_path,
                                command("inherit_out_ok", how))
    assert_no_findings(res)
    assert pool.read_bytes() == want


@pytest.mark.parametrize("how", HOWS)
def test_unsynced_output_is_reported_at_its_call(pmemu_bin, tmp_path, how):
    res, want, pool = run_shell(pmemu_bin, tmp_path,
                                command("inherit_out_bad", how))
    assert_finding_at(res, "inherit_out.c", TAGS.get(how, "FWRITE"),
                      "unpersisted stores: 64 stores")
    assert pool.read_bytes() == want  # a clean shutdown writes them


def test_cp_into_the_pmem_dir_is_seen(pmemu_bin, tmp_path):
    """cp opens its target write-only and copies by copy_file_range"""
    res, want, pool = run_shell(pmemu_bin, tmp_path,
                                "cp {template} {pool}")
    assert "unpersisted stores: 64 stores" in res.stderr, res.stderr
    assert pool.read_bytes() == want


SCM = {"write": ("WRITE", 4096), "mmsg": ("WRITE", 4096),
       "map": ("STORE", 64),
       "rawmap": ("STORE", 64), "pidfd": ("WRITE", 4096),
       "rawpidfd": ("WRITE", 4096)}


@pytest.mark.parametrize("how", SCM)
def test_received_descriptor_synced_reaches_the_pool(pmemu_bin, tmp_path,
                                                     how):
    assert_no_findings(run_how(pmemu_bin, tmp_path, "scm_rights_ok", how))
    n = SCM[how][1]
    pool = (tmp_path / "pmem" / "pool").read_bytes()
    assert pool[4096:4096 + n] == b"m" * n


@pytest.mark.parametrize("how", SCM)
def test_received_descriptor_unsynced_is_reported(pmemu_bin, tmp_path,
                                                  how):
    res = run_how(pmemu_bin, tmp_path, "scm_rights_bad", how)
    assert_finding_at(res, "scm_rights.c", SCM[how][0],
                      "unpersisted stores")
