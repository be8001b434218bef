"""test_obj_persist.py -- libpmemobj: pmemobj_persist/pmemobj_memcpy_persist by hand."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe
# the correct twin runs every strategy with a bounded budget in CI
# (conftest.BOUNDED_STATES; PMEMU_CRASH_FULL=1 for the full one); a buggy
# twin already fails in the fence-ordered states, found in seconds
ALL = "pessimistic,inflight,eviction,torn"
OBJ = "pessimistic,inflight"

CASES = [
    #    id              bug             expect
    Case("correct",      None,           "pass", strategy=ALL, explore=FROM,
         bounded=True),
    Case("wrong-order",  "wrong-order", "fail", strategy=OBJ, explore=FROM),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_persist(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_persist", "persist.pool", case)
