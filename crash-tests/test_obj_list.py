"""test_obj_list.py -- libpmemobj: the atomic API (pmemobj_alloc with a constructor)."""
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
    Case("missing-flush",  "missing-flush", "fail", strategy=OBJ, explore=FROM),
    Case("missing-flush-lazy", "missing-flush", "fail", strategy=OBJ, explore=FROM,
         lazy=True),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_list(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_list", "list.pool", case)
