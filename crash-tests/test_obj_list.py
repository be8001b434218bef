"""test_obj_list.py -- libpmemobj: the atomic API (pmemobj_alloc with a constructor)."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe

CASES = [
    #    id              bug             expect
    Case("correct",      None,           "pass", explore=FROM),
    Case("missing-flush",  "missing-flush", "fail", explore=FROM),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_list(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_list", "list.pool", case)
