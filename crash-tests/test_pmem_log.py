"""test_pmem_log.py -- libpmem: an append-only log with a commit word."""
import pytest

from conftest import Case, run_case

CASES = [
    #    id                 bug               expect
    Case("correct",         None,             "pass"),
    Case("missing-flush",   "missing-flush",  "fail"),
    Case("flush-no-fence",  "flush-no-fence", "fail"),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_pmem_log(pmemu, pmem, case):
    run_case(pmemu, pmem, "pmem_log", "log.pool", case)
