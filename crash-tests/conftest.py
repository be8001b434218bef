"""conftest.py -- the crash-test suite: where the programs are, the tables.

Each test_<program>.py holds one table, CASES, of rows
    Case(id, bug, expect, strategy[, domain])
and calls run_case(). A new case is one row. A row whose expect is "fail"
names the bug planted in the program's source on the line marked
`/* PLANTED: <bug> */`: pmemu's explanation must name that file:line.
"""
import dataclasses
import os
import pathlib
import re

import pytest

HERE = pathlib.Path(__file__).resolve().parent
BIN = pathlib.Path(os.environ.get("CT_BIN_DIR", HERE.parent / "build" /
                                  "crash-tests" / "bin"))
EVERY_STRATEGY = "pessimistic,inflight,eviction,torn"
# A libpmemobj program leaves dozens of lines open at most crash points,
# and every image is opened by libpmemobj and checked by pmempool (~25 ms
# of CPU each): its correct twin explored eagerly with every strategy is
# ~14,000 checks, minutes of CPU. Such rows explore lazily (lazy=True:
# --explore lazy, the states of the bytes the check reads): exhaustive,
# 180-410 runs (docs/performance.md), and the report must say nothing was
# left unchecked.
LEFT_OUT = ("were not checked", "combinations not explored",
            "explored eagerly")


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    bug: str | None            # the planted bug (None: the correct program)
    expect: str                # "pass" or "fail"
    strategy: str = EVERY_STRATEGY
    domain: str | None = None  # adr (default), eadr, pagecache
    explore: tuple = ()        # other explore options: (("from", "x"),)
    lazy: bool = False         # --explore lazy, exhaustive

    def param(self):
        return pytest.param(self, id=self.id)


def planted_line(source: pathlib.Path, bug: str) -> int:
    """The line of source marked /* PLANTED: ... bug ... */."""
    pat = re.compile(r"/\* PLANTED:[^*]*\b" + re.escape(bug) + r"\b")
    hits = [i for i, ln in enumerate(source.read_text().splitlines(), 1)
            if pat.search(ln)]
    assert len(hits) == 1, f"{source.name}: {len(hits)} lines planted {bug}"
    return hits[0]


def program(name: str) -> pathlib.Path:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"crash-test program {path} is not built (build the "
                    "ct_" + name + " target)", pytrace=False)
    return path


def run_case(pmemu, pmem, name: str, pool: str, case: Case):
    """Explore PROGRAM run POOL [BUG] with PROGRAM check {pmem}."""
    prog = program(name)
    opts = {"strategy": case.strategy, **dict(case.explore)}
    if case.lazy:
        opts["explore"] = "lazy"
    if case.domain:
        opts["domain"] = case.domain
    cmd = [prog, "run", pmem / pool] + ([case.bug] if case.bug else [])
    rep = pmemu.explore(cmd, check=f"{prog} check {{pmem}}", **opts)
    if case.expect == "pass":
        assert rep.passed, rep.explain()
        assert rep.counts.states > 0, "no crash state was explored"
        left = [n for n in rep.notes if any(w in n for w in LEFT_OUT)]
        assert not (case.lazy and left), left
        return rep
    assert not rep.passed, (f"planted bug {case.bug} was not caught:\n"
                            f"{rep.text}")
    source = HERE / f"{name}.c"
    line = planted_line(source, case.bug)
    assert rep.first_failure.names(source.name, line), (
        f"the explanation does not name {source.name}:{line} "
        f"(planted {case.bug}):\n{rep.explain()}")
    return rep
