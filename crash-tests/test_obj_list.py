"""test_obj_list.py -- libpmemobj: the atomic API (pmemobj_alloc with a constructor)."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe
# eviction and torn multiply libpmemobj's own untraced lines into minutes
# of states; its transactions are ordered by fences, which these cover
OBJ = "pessimistic,inflight"

CASES = [
    #    id              bug             expect
    Case("correct",      None,           "pass", strategy=OBJ, explore=FROM),
    Case("missing-flush",  "missing-flush", "fail", strategy=OBJ, explore=FROM),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_list(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_list", "list.pool", case)
