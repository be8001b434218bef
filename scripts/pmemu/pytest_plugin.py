"""pytest_plugin.py -- crash-consistency tests in pytest.

    pytest -p pmemu.pytest_plugin tests/

Fixtures:
  pmem    a fresh, empty directory that pmemu emulates as persistent memory
  pmemu   run/record/explore/replay bound to that directory; `check` explores
          and fails the test with pmemu's explanation

Marker:
  @pytest.mark.crash_consistency(check="./check {pmem}", strategy="all")
      defaults for pmemu.explore/pmemu.check in that test (any explore
      option may be given: jobs=2, crash_at="fence", ...)

    @pytest.mark.crash_consistency(check="./kv check {pmem}", strategy="all")
    def test_kv_insert(pmemu, pmem):
        pmemu.check(["./kv", "insert", pmem / "kv.pool", "5"])

On failure the message is pmemu's explanation (the crash point, the lost
lines, their store and flush sites), the failing state's id and the
`pmemu replay` command that rebuilds its image.

Command-line options: --pmemu=PATH (the binary; default $PMEMU or the
build next to this package), --pmemu-jobs=N (default --jobs for explore).
"""
from __future__ import annotations

import itertools
import pathlib
from typing import Any

import pytest

from . import api

MARKER = "crash_consistency"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pmemu", "pmemu crash-consistency testing")
    group.addoption("--pmemu", dest="pmemu_bin", default=None,
                    help="the pmemu binary (default: $PMEMU or the build)")
    group.addoption("--pmemu-jobs", dest="pmemu_jobs", type=int,
                    default=None,
                    help="checks in parallel for every explore (--jobs)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(check=CMD, strategy=S, **explore_options): defaults of "
        "the pmemu fixture's explore() and check() in this test")


class CrashConsistencyError(AssertionError):
    """A crash state failed the check; str() is pmemu's explanation."""

    def __init__(self, report: api.ExploreReport):
        super().__init__(report.explain())
        self.report = report


class Pmemu:
    """The `pmemu` fixture: the driver bound to one test's pmem dir."""

    def __init__(self, pmem: pathlib.Path, workdir: pathlib.Path,
                 binary: str, defaults: dict[str, Any]) -> None:
        self.pmem = pmem
        self.workdir = workdir
        self.binary = binary
        self.defaults = defaults
        self._traces = itertools.count(1)
        self.reports: list[api.ExploreReport] = []

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        merged = {"pmem_dir": self.pmem, **self.defaults, **options}
        if "check" not in merged:
            raise TypeError("explore needs check=... (or a "
                            f"@pytest.mark.{MARKER}(check=...) marker)")
        return merged

    def run(self, cmd: api.Command, **options: Any) -> api.RunResult:
        options.setdefault("pmem_dir", self.pmem)
        return api.run(cmd, pmemu=self.binary, **options)

    def record(self, cmd: api.Command, trace: api.PathArg | None = None,
               **options: Any) -> api.RecordResult:
        trace = trace or self.workdir / f"run{next(self._traces)}.trace"
        options.setdefault("pmem_dir", self.pmem)
        return api.record(cmd, trace, pmemu=self.binary, **options)

    def explore(self, cmd: api.Command | None = None,
                **options: Any) -> api.ExploreReport:
        """Record cmd into this test's directory (so the trace outlives
        the run and `pmemu replay` works), then explore it."""
        opts = self._options(options)
        if cmd is not None and "record_to" not in opts:
            opts["record_to"] = (self.workdir /
                                 f"run{next(self._traces)}.trace")
        rep = api.explore(cmd, pmemu=self.binary, **opts)
        self.reports.append(rep)
        return rep

    def check(self, cmd: api.Command | None = None,
              **options: Any) -> api.ExploreReport:
        """explore(), then fail the test with pmemu's explanation if any
        crash state failed the check."""
        rep = self.explore(cmd, **options)
        if not rep.passed:
            raise CrashConsistencyError(rep)
        return rep

    def replay(self, trace: api.PathArg, state: str,
               out: api.PathArg) -> pathlib.Path:
        return api.replay(trace, state, out, pmemu=self.binary)


@pytest.fixture(scope="session")
def pmemu_binary(pytestconfig: pytest.Config) -> str:
    path = pytestconfig.getoption("pmemu_bin")
    if path:
        return path
    try:
        return api.find_pmemu()
    except api.PmemuError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def pmem(tmp_path: pathlib.Path) -> pathlib.Path:
    """A fresh, empty directory emulated as persistent memory."""
    d = tmp_path / "pmem"
    d.mkdir()
    return d


@pytest.fixture
def pmemu(request: pytest.FixtureRequest, pmem: pathlib.Path,
          tmp_path: pathlib.Path, pmemu_binary: str) -> Pmemu:
    defaults: dict[str, Any] = {}
    jobs = request.config.getoption("pmemu_jobs")
    if jobs:
        defaults["jobs"] = jobs
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise TypeError(f"@pytest.mark.{MARKER} takes keyword "
                            "arguments only (check=..., strategy=...)")
        defaults.update(marker.kwargs)
    return Pmemu(pmem, tmp_path, pmemu_binary, defaults)


def pytest_assertrepr_compare(op: str, left: object,
                              right: object) -> list[str] | None:
    """`assert report.passed` style comparisons show pmemu's explanation."""
    for side in (left, right):
        if isinstance(side, api.ExploreReport) and not side.passed:
            return ["pmemu found an inconsistent crash state",
                    *side.explain().splitlines()]
    return None
