"""test_mmap_msync.py -- raw mmap + msync (the seed's Listing 3-1 path)."""
import pytest

from conftest import Case, run_case

CASES = [
    #    id                      bug              expect  strategy, domain
    Case("correct",              None,            "pass"),
    Case("correct-pagecache",    None,            "pass", domain="pagecache"),
    Case("missing-flush",        "missing-flush", "fail"),
    Case("missing-flush-pagecache", "missing-flush", "fail",
         domain="pagecache"),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_mmap_msync(pmemu, pmem, case):
    run_case(pmemu, pmem, "mmap_msync", "file.dat", case)
