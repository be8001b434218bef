"""test_obj_persist.py -- libpmemobj: pmemobj_persist/pmemobj_memcpy_persist by hand."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe
# eviction and torn multiply libpmemobj's own untraced lines into minutes
# of states; its transactions are ordered by fences, which these cover
OBJ = "pessimistic,inflight"

CASES = [
    #    id              bug             expect
    Case("correct",      None,           "pass", strategy=OBJ, explore=FROM),
    Case("wrong-order",  "wrong-order", "fail", strategy=OBJ, explore=FROM),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_persist(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_persist", "persist.pool", case)
