"""test_obj_persist.py -- libpmemobj: pmemobj_persist/pmemobj_memcpy_persist by hand."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe
# the correct twin runs every strategy, lazily and exhaustively; the buggy
# twin fails in the fence-ordered states, eagerly and lazily, at its line
ALL = "pessimistic,inflight,eviction,torn"
OBJ = "pessimistic,inflight"

CASES = [
    #    id              bug             expect
    Case("correct",      None,           "pass", strategy=ALL, explore=FROM,
         lazy=True),
    Case("wrong-order",  "wrong-order", "fail", strategy=OBJ, explore=FROM),
    Case("wrong-order-lazy", "wrong-order", "fail", strategy=OBJ, explore=FROM,
         lazy=True),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_persist(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_persist", "persist.pool", case)
