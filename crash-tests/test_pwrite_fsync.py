"""test_pwrite_fsync.py -- pwrite + fsync on the page cache, sector atomicity."""
import pytest

from conftest import Case, run_case

CASES = [
    #    id                bug              expect  strategy, domain
    Case("correct",        None,            "pass", domain="pagecache"),
    Case("missing-fsync",  "missing-flush", "fail", domain="pagecache"),
    Case("torn-sector",    "torn-sector",   "fail", domain="pagecache"),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_pwrite_fsync(pmemu, pmem, case):
    run_case(pmemu, pmem, "pwrite_fsync", "file.dat", case)
