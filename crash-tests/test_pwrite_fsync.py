"""test_pwrite_fsync.py -- pwrite + fsync on the page cache, sector atomicity."""
import pytest

from conftest import Case, run_case

CASES = [
    #    id                bug              expect  strategy, domain
    Case("correct",        None,            "pass", domain="pagecache"),
    Case("missing-fsync",  "missing-flush", "fail", domain="pagecache"),
    Case("torn-sector",    "torn-sector",   "fail", domain="pagecache"),
    # both modes whatever --explore auto picks: a page of the page cache
    # is a line of 4096 bytes, whose reads lazy mode branches on whole
    Case("missing-fsync-eager", "missing-flush", "fail", domain="pagecache",
         explore=(("explore", "eager"),)),
    Case("missing-fsync-lazy", "missing-flush", "fail", domain="pagecache",
         lazy=True),
    Case("torn-sector-lazy", "torn-sector", "fail", domain="pagecache",
         lazy=True),
    Case("correct-lazy",   None,            "pass", domain="pagecache",
         lazy=True),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_pwrite_fsync(pmemu, pmem, case):
    run_case(pmemu, pmem, "pwrite_fsync", "file.dat", case)
