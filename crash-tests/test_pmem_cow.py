"""test_pmem_cow.py -- libpmem: a copy-on-write array, an 8-byte publish."""
import pytest

from conftest import Case, run_case

CASES = [
    #    id               bug             expect
    Case("correct",       None,           "pass"),
    Case("wrong-order",   "wrong-order",  "fail"),
    Case("torn-publish",  "torn-publish", "fail", strategy="torn"),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_pmem_cow(pmemu, pmem, case):
    run_case(pmemu, pmem, "pmem_cow", "cow.pool", case)
