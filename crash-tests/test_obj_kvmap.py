"""test_obj_kvmap.py -- libpmemobj: a transactional hash map."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe
# the correct twin runs every strategy, lazily and exhaustively; the buggy
# twin fails in the fence-ordered states, eagerly and lazily, at its line
ALL = "pessimistic,inflight,eviction,torn"
OBJ = "pessimistic,inflight"

CASES = [
    #    id                bug               expect
    Case("correct",        None,             "pass", strategy=ALL, explore=FROM,
         lazy=True),
    Case("missing-tx-add", "missing-tx-add", "fail", strategy=OBJ, explore=FROM),
    Case("missing-tx-add-lazy", "missing-tx-add", "fail", strategy=OBJ, explore=FROM,
         lazy=True),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_kvmap(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_kvmap", "kv.pool", case)
