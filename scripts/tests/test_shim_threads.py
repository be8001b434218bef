"""test_shim_threads.py -- stores of threads sharing a page (issue 11.5).

Eight threads each store to their own lines of one page, flush them and
fence. A thread's store can land while another thread's fault handler
holds the page (writable, not yet marked dirty); a flush or fence that
skipped such a page missed the store: a false "redundant flush" and a
false "unpersisted store". The program repeats the case 200 times in
one process, each on a new mapping (its page faults afresh).
"""
from test_shim_run import assert_no_findings, run


def test_threads_sharing_a_page_200_times(pmemu_bin, tmp_path):
    pm = tmp_path / "pmem"
    pm.mkdir()
    res = run(pmemu_bin, tmp_path, "threads_page",
              args=[str(pm / "pool"), "200"])
    assert_no_findings(res)
