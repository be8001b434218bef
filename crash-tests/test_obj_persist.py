"""test_obj_persist.py -- libpmemobj: pmemobj_persist/pmemobj_memcpy_persist by hand."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe

CASES = [
    #    id              bug             expect
    Case("correct",      None,           "pass", explore=FROM),
    Case("wrong-order",  "wrong-order", "fail", explore=FROM),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_persist(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_persist", "persist.pool", case)
