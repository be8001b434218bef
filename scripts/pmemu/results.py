"""results.py -- typed results of pmemu's reports, and their parsers.

`pmemu explore`/`merge` write JSON (docs/report-json.md); `pmemu run`
prints findings as text (docs/report-format.md), and its JSON form has the
same fields. Readers ignore fields they do not know.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shlex
from typing import Any, Mapping

__all__ = [
    "PmemuError", "PmemuUsageError", "Frame", "Site", "Finding", "RunResult",
    "RecordResult", "ExplainedLine", "Explanation", "CheckResult",
    "CrashPoint", "FailingState", "Failure", "Counts", "ExploreReport",
    "parse_run_text", "parse_run_json", "parse_explore_report",
]

class PmemuError(Exception):
    """pmemu did something the driver did not expect (a crash, bad JSON)."""

    def __init__(self, message: str, returncode: int | None = None,
                 stderr: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class PmemuUsageError(PmemuError):
    """pmemu exited 2: a usage or input error; str() is pmemu's message."""


# --------------------------------------------------------------------------
# typed results

def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _hex(v: Any) -> int | None:
    if v is None:
        return None
    return int(v, 16) if isinstance(v, str) else int(v)


@dataclasses.dataclass(frozen=True)
class Frame:
    function: str | None
    file: str | None
    line: int | None
    module: str | None = None
    offset: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Frame":
        return cls(d.get("function"), d.get("file"), _opt_int(d.get("line")),
                   d.get("module"), _hex(d.get("offset")))

    @property
    def where(self) -> str | None:
        """"file:line" (the file's base name), or None without debug info."""
        if self.file is None or self.line is None:
            return None
        return f"{os.path.basename(self.file)}:{self.line}"

    def __str__(self) -> str:
        fn = self.function or "???"
        if self.where:
            return f"{fn} ({self.where})"
        mod = os.path.basename(self.module) if self.module else "?"
        off = f"+{self.offset:#x}" if self.offset is not None else ""
        return f"{fn} ({mod}{off}, no debug info)"


@dataclasses.dataclass(frozen=True)
class Site:
    id: int
    frames: tuple[Frame, ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "Site | None":
        if d is None:
            return None
        return cls(int(d.get("id") or 0),
                   tuple(Frame.from_json(f) for f in d.get("frames") or ()))

    @property
    def top(self) -> Frame | None:
        return self.frames[0] if self.frames else None

    def names(self, file: str, line: int) -> bool:
        """True if a frame of this site is at file:line (base names)."""
        want = f"{os.path.basename(file)}:{line}"
        return any(f.where == want for f in self.frames)

    def __str__(self) -> str:
        return str(self.top) if self.top else "(no call site recorded)"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One entry of `pmemu run`'s findings (docs/report-format.md)."""
    index: int
    kind: str                  # "unpersisted", "no_fence", ...
    count: int
    lines: int
    region: str | None
    offset: int | None
    sites: tuple[int, ...]
    frames: tuple[Frame, ...]
    when: str | None = None    # "at exit", "at crash point 'commit'"

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Finding":
        return cls(int(d.get("index", 0)), d["class"], int(d.get("count", 0)),
                   int(d.get("lines", 0)), d.get("region"),
                   _hex(d.get("offset")), tuple(d.get("sites") or ()),
                   tuple(Frame.from_json(f) for f in d.get("frames") or ()))

    def names(self, file: str, line: int) -> bool:
        return Site(0, self.frames).names(file, line)


@dataclasses.dataclass
class RunResult:
    """`pmemu run`: the program's exit status and the findings."""
    returncode: int
    findings: list[Finding]
    stdout: str
    stderr: str
    report: str                # the findings as pmemu printed them
    command: list[str]

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


@dataclasses.dataclass
class RecordResult:
    returncode: int
    trace: pathlib.Path
    stdout: str
    stderr: str
    command: list[str]


@dataclasses.dataclass(frozen=True)
class ExplainedLine:
    region: int
    file: str | None
    off: int
    len: int
    reason: str                # never-flushed, flushed-no-fence, torn, poisoned, ...
    store_site: Site | None
    flush_site: Site | None
    stores: tuple = ()         # every lost store's site, program's first

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ExplainedLine":
        stores = tuple(s for s in (Site.from_json(x)
                                   for x in d.get("stores") or ()) if s)
        return cls(int(d.get("region", 0)), d.get("file"),
                   _hex(d.get("off")) or 0, int(d.get("len", 0)),
                   d.get("reason", "unknown"),
                   Site.from_json(d.get("store_site")),
                   Site.from_json(d.get("flush_site")), stores)

    def __str__(self) -> str:
        where = f"{self.file or f'region {self.region}'}+{self.off:#x}"
        text = f"{where} ({self.len} bytes) {self.reason}"
        if self.store_site:
            text += f"; stored at {self.store_site}"
        if self.flush_site:
            text += f"; flushed at {self.flush_site}"
        return text


@dataclasses.dataclass(frozen=True)
class Explanation:
    status: str                # minimal, fails-when-persisted, flaky, ...
    checks: int
    lines: tuple[ExplainedLine, ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "Explanation | None":
        if d is None:
            return None
        return cls(d.get("status", "not-computed"), int(d.get("checks", 0)),
                   tuple(ExplainedLine.from_json(x)
                         for x in d.get("lines") or ()))


@dataclasses.dataclass(frozen=True)
class CheckResult:
    kind: str                  # exit, signal, timeout, error
    code: int | None
    signal: int | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "CheckResult":
        d = d or {}
        return cls(d.get("kind", "error"), _opt_int(d.get("code")),
                   _opt_int(d.get("signal")))

    def __str__(self) -> str:
        if self.kind == "exit":
            return f"the check exited {self.code}"
        if self.kind == "signal":
            return f"the check was killed by signal {self.signal}"
        if self.kind == "timeout":
            return "the check ran past --timeout"
        return "the check could not be started"


@dataclasses.dataclass(frozen=True)
class CrashPoint:
    point: int
    event: str
    record: int | None
    site: Site | None
    folded: int = 1
    states: int | None = None
    failing_states: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "CrashPoint":
        return cls(int(d["point"]), d.get("event", "?"),
                   _opt_int(d.get("record")), Site.from_json(d.get("site")),
                   int(d.get("folded", 1)), _opt_int(d.get("states")),
                   _opt_int(d.get("failing_states")))


@dataclasses.dataclass(frozen=True)
class FailingState:
    """The first failing state, with its minimal explanation."""
    state: str
    ordinal: int
    point: CrashPoint
    markers: tuple[str, ...]
    result: CheckResult
    states_same_image: int
    explanation: Explanation | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "FailingState | None":
        if d is None:
            return None
        return cls(d["state"], int(d.get("ordinal", 0)),
                   CrashPoint.from_json(d["point"]),
                   tuple(d.get("markers") or ()),
                   CheckResult.from_json(d.get("result")),
                   int(d.get("states_same_image", 1)),
                   Explanation.from_json(d.get("explanation")))

    def sites(self) -> list[Site]:
        """The crash point's site, then every explained line's sites."""
        out = [self.point.site] if self.point.site else []
        for ln in self.explanation.lines if self.explanation else ():
            out += [s for s in (ln.store_site, ln.flush_site) if s]
            out += list(ln.stores)
        return out

    def names(self, file: str, line: int) -> bool:
        """True if the explanation (or the crash point) names file:line."""
        return any(s.names(file, line) for s in self.sites())


@dataclasses.dataclass(frozen=True)
class Failure:
    state: str
    ordinal: int
    point: int
    states: int
    result: CheckResult

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Failure":
        return cls(d["state"], int(d.get("ordinal", 0)), int(d["point"]),
                   int(d.get("states", 1)),
                   CheckResult.from_json(d.get("result")))


@dataclasses.dataclass(frozen=True)
class Counts:
    points_total: int = 0
    points: int = 0
    states: int = 0
    images: int = 0
    checks: int = 0
    failing_states: int = 0
    failing_images: int = 0
    timeouts: int = 0
    crashes: int = 0

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "Counts":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: int(v) for k, v in (d or {}).items() if k in names})


@dataclasses.dataclass
class ExploreReport:
    """`pmemu explore` or `pmemu merge`: the parsed JSON report."""
    verdict: str
    exit_code: int
    trace: str | None
    trace_truncated: bool
    options: dict
    regions: list[dict]
    counts: Counts
    notes: list[str]
    points_failing: list[CrashPoint]
    first_failure: FailingState | None
    failures: list[Failure]
    failures_truncated: bool
    shards: list[tuple[int, int]]
    raw: dict
    text: str = ""             # what pmemu printed for people (stdout)
    command: list[str] = dataclasses.field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def replay_command(self, state: str | None = None,
                       out: str = "crash-image") -> str:
        """The `pmemu replay` command that rebuilds a state's image."""
        if state is None:
            if self.first_failure is None:
                raise ValueError("no failing state to replay")
            state = self.first_failure.state
        return shlex.join(["pmemu", "replay", "--trace", self.trace or "TRACE",
                           "--state", state, "-o", out])

    def explain(self) -> str:
        """pmemu's explanation of the first failure, the state id and the
        command that rebuilds it: the message of a failed test."""
        ff = self.first_failure
        if ff is None:
            return f"pmemu: all {self.counts.states} crash states consistent"
        parts = [self.text.rstrip() if self.text.strip()
                 else self._explain_from_json(ff)]
        parts.append(f"failing state: {ff.state}")
        parts.append(f"rebuild it: {self.replay_command(ff.state)}")
        return "\n".join(parts)

    def _explain_from_json(self, ff: FailingState) -> str:
        lines = [f"pmemu: {self.counts.failing_states} of "
                 f"{self.counts.states} crash states fail the check",
                 f"first failing state {ff.state}: {ff.result}",
                 f"crash point {ff.point.point} before {ff.point.event} "
                 f"at {ff.point.site}"]
        if ff.markers:
            lines.append("markers passed: " + ", ".join(ff.markers))
        ex = ff.explanation
        if ex is not None:
            lines.append(f"explanation ({ex.status}):")
            lines += [f"  {ln}" for ln in ex.lines]
        return "\n".join(lines)

    def assert_consistent(self) -> "ExploreReport":
        if not self.passed:
            raise AssertionError(self.explain())
        return self


# --------------------------------------------------------------------------
# parsing

def _json_values(text: str) -> list[dict]:
    """Every JSON object in text (a file may hold one report per moment)."""
    dec, i = json.JSONDecoder(), 0
    out: list[dict] = []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        value, i = dec.raw_decode(text, i)
        out.append(value)


_CLASS_TITLES = {
    "unpersisted stores": "unpersisted", "missing fence": "no_fence",
    "redundant flush": "redundant_flush", "flush outside pmem":
    "flush_outside", "cpu flush on page cache": "pagecache_flush",
}
_CLASS_RE = re.compile(r"^pmemu: (?P<title>[a-z ]+): \d+ \w+ from \d+ sites?"
                       r" .*?(?P<when> at exit.*| at crash point '.*')?$")
_ENTRY_RE = re.compile(r"^\[(?P<i>\d+)\] (?P<count>\d+) \w+"
                       r"(?:, (?P<lines>\d+) lines?)?"
                       r"(?:, first at (?P<where>.*)\+0x(?P<off>[0-9a-f]+))?$")
_FRAME_RE = re.compile(r"^\s+(?:at|by) (?P<fn>\S+) \((?P<loc>.*)\)$")


def _frame_from_text(fn: str, loc: str) -> Frame:
    m = re.fullmatch(r"(?P<file>[^:()]+):(?P<line>\d+)", loc)
    if m:
        return Frame(fn, m["file"], int(m["line"]))
    m = re.fullmatch(r"(?P<mod>.*)\+0x(?P<off>[0-9a-f]+)(?:, no debug info)?",
                     loc)
    if m:
        return Frame(fn, None, None, m["mod"], int(m["off"], 16))
    return Frame(fn, None, None)


def parse_run_text(text: str) -> list[Finding]:
    """The findings of `pmemu run`'s text report (docs/report-format.md)."""
    findings: list[Finding] = []
    kind, when, entry = None, None, None
    for line in text.splitlines():
        m = _CLASS_RE.match(line)
        if m and m["title"] in _CLASS_TITLES:
            kind = _CLASS_TITLES[m["title"]]
            when = (m["when"] or "").strip() or None
            continue
        m = _ENTRY_RE.match(line)
        if m and kind is not None:
            entry = Finding(int(m["i"]), kind, int(m["count"]),
                            int(m["lines"] or 0), m["where"],
                            int(m["off"], 16) if m["off"] else None, (), (),
                            when)
            findings.append(entry)
            continue
        m = _FRAME_RE.match(line)
        if m and entry is not None:
            entry = dataclasses.replace(
                entry, frames=entry.frames + (_frame_from_text(m["fn"],
                                                               m["loc"]),))
            findings[-1] = entry
    return findings


def parse_run_json(text: str) -> list[Finding]:
    """The findings of every `pmemu-run` JSON report in text, in order."""
    out = []
    for r in _json_values(text):
        if isinstance(r, dict) and r.get("report") == "pmemu-run":
            out += [dataclasses.replace(Finding.from_json(f),
                                        when=r.get("when"))
                    for f in r.get("findings") or ()]
    return out


def parse_explore_report(data: str | Mapping[str, Any]) -> ExploreReport:
    d = json.loads(data) if isinstance(data, str) else dict(data)
    if d.get("report") != "pmemu-explore":
        raise PmemuError(f"not a pmemu explore report: {str(d)[:80]}")
    return ExploreReport(
        verdict=d["verdict"], exit_code=int(d.get("exit_code", 0)),
        trace=d.get("trace"), trace_truncated=bool(d.get("trace_truncated")),
        options=dict(d.get("options") or {}),
        regions=list(d.get("regions") or ()),
        counts=Counts.from_json(d.get("counts")),
        notes=list(d.get("notes") or ()),
        points_failing=[CrashPoint.from_json(p)
                        for p in d.get("points_failing") or ()],
        first_failure=FailingState.from_json(d.get("first_failure")),
        failures=[Failure.from_json(f) for f in d.get("failures") or ()],
        failures_truncated=bool(d.get("failures_truncated")),
        shards=[(int(s["k"]), int(s["n"])) for s in d.get("shards") or ()],
        raw=d)
