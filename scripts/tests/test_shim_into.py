"""test_shim_into.py -- calls whose buffer the kernel fills (fread of
more than stdio's buffer, getrandom, recv, recvfrom, recvmsg, preadv,
preadv2), given a buffer in emulated pmem. A read-only view page made
each fail with EFAULT under pmemu (fread returned 0), where natively it
fills the buffer: the program ran another way than it does natively, and
its unflushed bytes were never seen. Now the pages are opened first, as
for read (test_findings_builds.py), and the bytes are named by the call.
"""
import pytest

from test_shim_run import SRC, assert_no_findings, run

CALLS = ["fread", "getrandom", "recv", "recvfrom", "recvmsg", "preadv",
         "preadv2"]


def fill_line(call):
    """the line of into_pmem.c that makes `call` (marked FILL)"""
    text = (SRC / "into_pmem.c").read_text().splitlines()
    return next(i for i, l in enumerate(text, 1)
                if "FILL" in l and f"{call}(" in l)


def run_into(pmemu_bin, tmp_path, prog, call):
    return run(pmemu_bin, tmp_path, prog,
               args=[str(tmp_path / "pmem" / "pool"), call,
                     str(tmp_path / "scratch")])


@pytest.mark.parametrize("call", CALLS)
def test_the_call_fills_the_buffer_and_persisted_it_has_no_findings(
        pmemu_bin, tmp_path, call):
    res = run_into(pmemu_bin, tmp_path, "into_pmem_ok", call)
    assert res.stdout == f"{call} 20000 filled\n", res.stdout + res.stderr
    assert_no_findings(res)


@pytest.mark.parametrize("call", CALLS)
def test_unflushed_bytes_are_named_by_the_call(pmemu_bin, tmp_path, call):
    res = run_into(pmemu_bin, tmp_path, "into_pmem_bad", call)
    assert res.stdout == f"{call} 20000 filled\n", res.stdout + res.stderr
    assert "unpersisted stores: 313 stores" in res.stderr, res.stderr
    assert f"at into (into_pmem.c:{fill_line(call)})" in res.stderr, \
        res.stderr
