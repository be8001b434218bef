"""test_obj_kvmap.py -- libpmemobj: a transactional hash map."""
import pytest

from conftest import Case, run_case

FROM = (("from", "pool-created"),)   # creating a pool is not crash safe

CASES = [
    #    id                bug               expect
    Case("correct",        None,             "pass", explore=FROM),
    Case("missing-tx-add", "missing-tx-add", "fail", explore=FROM),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_obj_kvmap(pmemu, pmem, case):
    run_case(pmemu, pmem, "obj_kvmap", "kv.pool", case)
