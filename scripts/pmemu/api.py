"""api.py -- run, record, explore, replay and merge through the pmemu CLI.

Every function execs the `pmemu` binary, reads the report it writes (the
JSON of docs/report-json.md for explore/merge, the findings text of
docs/report-format.md for run) and returns typed results (results.py). Exit status 2 (a usage or input error) raises
PmemuUsageError carrying pmemu's one-line message.
"""
from __future__ import annotations

import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from .results import *  # noqa: F401,F403
from .results import (ExploreReport, PmemuError, PmemuUsageError,
                      RecordResult, RunResult, parse_explore_report,
                      parse_run_text)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# a path as the caller has it; a program as an argv list or one string
PathArg = Union[str, "os.PathLike[str]"]
Command = Union[PathArg, Sequence[PathArg]]
Env = Optional[Mapping[str, Any]]

__all__ = [
    "PmemuError", "PmemuUsageError", "Frame", "Site", "Finding", "RunResult",
    "RecordResult", "ExplainedLine", "Explanation", "CheckResult",
    "CrashPoint", "FailingState", "Failure", "Counts", "ExploreReport",
    "find_pmemu", "command_line", "run", "record", "explore", "replay",
    "merge", "parse_run_text", "parse_run_json", "parse_explore_report",
]


# --------------------------------------------------------------------------
# where pmemu is

def find_pmemu() -> str:
    """$PMEMU, else the build of the checkout this package sits in, else the
    pmemu installed in this Python's prefix (cmake --install --prefix
    $VIRTUAL_ENV), else pmemu on PATH."""
    env = os.environ.get("PMEMU")
    if env:
        if not os.access(env, os.X_OK):
            raise PmemuError(f"$PMEMU={env} is not an executable pmemu")
        return env
    candidates = []
    source = pathlib.Path(__file__).resolve().parents[2]
    if (source / "emulator" / "cli").is_dir():  # a source checkout
        candidates += [b / "bin" / "pmemu"
                       for b in [source / "build", *sorted(source.glob("build-*"))]]
    candidates.append(pathlib.Path(sys.prefix) / "bin" / "pmemu")
    for cand in candidates:
        if os.access(cand, os.X_OK):
            return str(cand)
    found = shutil.which("pmemu")
    if found:
        return found
    raise PmemuError("pmemu not found: set $PMEMU to the pmemu binary, put it "
                     "on PATH, or install it (cmake --install build --prefix ...)")


# --------------------------------------------------------------------------
# running the CLI

def command_line(options: Mapping[str, Any]) -> list[str]:
    """--name=value for each option: True is a bare flag, False/None are
    left out, a list or tuple is joined with commas (--strategy=a,b)."""
    args = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args.append(f"{flag}={','.join(str(v) for v in value)}")
        else:
            args.append(f"{flag}={value}")
    return args


def _program(cmd: Command) -> list[str]:
    if isinstance(cmd, (str, os.PathLike)):
        return shlex.split(str(cmd)) if isinstance(cmd, str) else [str(cmd)]
    return [str(c) for c in cmd]


def _usage_message(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("pmemu")]
    errors = [ln for ln in lines if "error" in ln]
    return (errors or lines or stderr.splitlines() or ["pmemu exited 2"])[-1]


def _exec(args: list[str], *, cwd: PathArg | None = None, env: Env = None,
          timeout: float | None = None,
          expect: Iterable[int] = (0, 1)) -> subprocess.CompletedProcess[str]:
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update({k: str(v) for k, v in env.items()})
    r = subprocess.run(args, capture_output=True, text=True, cwd=cwd,
                       env=full_env, stdin=subprocess.DEVNULL,
                       timeout=timeout)
    if r.returncode == EXIT_USAGE:
        raise PmemuUsageError(_usage_message(r.stderr), r.returncode,
                              r.stderr)
    if r.returncode not in expect:
        raise PmemuError(f"{shlex.join(args[:3])}... exited "
                         f"{r.returncode}: {r.stderr.strip()[-500:]}",
                         r.returncode, r.stderr)
    return r


def run(cmd: Command, *, pmemu: str | None = None, cwd: PathArg | None = None,
        env: Env = None, timeout: float | None = None,
        **options: Any) -> RunResult:
    """`pmemu run [OPTIONS] -- CMD`: the findings, parsed from the report
    pmemu writes to --log-file (the text of docs/report-format.md)."""
    with tempfile.TemporaryDirectory(prefix="pmemu-run-") as tmp:
        log = pathlib.Path(tmp) / "findings.txt"
        args = [pmemu or find_pmemu(), "run", *command_line(options),
                f"--log-file={log}", "--", *_program(cmd)]
        r = _exec(args, cwd=cwd, env=env, timeout=timeout,
                  expect=range(0, 256))
        text = log.read_text() if log.exists() else ""
    return RunResult(r.returncode, parse_run_text(text), r.stdout, r.stderr,
                     text, args)


def record(cmd: Command, trace: PathArg, *, pmemu: str | None = None,
           cwd: PathArg | None = None, env: Env = None,
           timeout: float | None = None, **options: Any) -> RecordResult:
    """`pmemu record -o TRACE [OPTIONS] -- CMD`."""
    args = [pmemu or find_pmemu(), "record", "-o", str(trace),
            *command_line(options), "--", *_program(cmd)]
    r = _exec(args, cwd=cwd, env=env, timeout=timeout, expect=range(0, 256))
    if not pathlib.Path(trace).exists():
        raise PmemuError(f"pmemu record wrote no trace at {trace}: "
                         f"{r.stderr.strip()}", r.returncode, r.stderr)
    return RecordResult(r.returncode, pathlib.Path(trace), r.stdout,
                        r.stderr, args)


RECORD_OPTIONS = ("pmem_dir", "domain", "line", "clflush", "sector")


def explore(cmd: Command | None = None, *, check: str,
            trace: PathArg | None = None,
            record_to: PathArg | None = None,
            pmemu: str | None = None, cwd: PathArg | None = None,
            env: Env = None, timeout: float | None = None,
            **options: Any) -> ExploreReport:
    """`pmemu explore --check CHECK [OPTIONS] (--trace T | -- CMD)`.

    options are any of explore's (strategy, jobs, shard, crash_at, ...);
    `shard=(k, n)` is written K/N. With cmd and record_to, the program is
    first recorded to record_to (with the options of RECORD_OPTIONS) and
    that trace is explored, so `pmemu replay` can rebuild a failing state
    later; without record_to, explore records to a trace it deletes.
    Returns the parsed report; raises PmemuUsageError on exit 2."""
    if (cmd is None) == (trace is None):
        raise ValueError("explore needs exactly one of cmd and trace")
    if isinstance(options.get("shard"), tuple):
        options["shard"] = "%d/%d" % options["shard"]
    if cmd is not None and record_to is not None:
        rec_opts = {k: options.pop(k) for k in RECORD_OPTIONS if k in options}
        record(cmd, record_to, pmemu=pmemu, cwd=cwd, env=env,
               timeout=timeout, quiet=True, **rec_opts)
        cmd, trace = None, record_to
    with tempfile.TemporaryDirectory(prefix="pmemu-explore-") as tmp:
        report = pathlib.Path(tmp) / "report.json"
        args = [pmemu or find_pmemu(), "explore", "--check", check,
                *command_line(options), f"--json={report}"]
        if trace is not None:
            args += ["--trace", str(trace)]
        elif cmd is not None:
            args += ["--", *_program(cmd)]
        r = _exec(args, cwd=cwd, env=env, timeout=timeout)
        rep = _read_report(report, r)
    rep.text, rep.command = r.stdout, args
    return rep


def _read_report(path: pathlib.Path,
                 r: subprocess.CompletedProcess[str]) -> ExploreReport:
    if not path.exists():
        raise PmemuError(f"pmemu exited {r.returncode} without a JSON "
                         f"report: {r.stderr.strip()[-500:]}", r.returncode,
                         r.stderr)
    rep = parse_explore_report(path.read_text())
    if rep.exit_code != r.returncode:
        raise PmemuError(f"pmemu exited {r.returncode} but its report says "
                         f"{rep.exit_code}", r.returncode, r.stderr)
    return rep


def replay(trace: PathArg, state: str, out: PathArg, *,
           pmemu: str | None = None,
           cwd: PathArg | None = None) -> pathlib.Path:
    """`pmemu replay --trace T --state ID -o DIR`: the image directory."""
    _exec([pmemu or find_pmemu(), "replay", "--trace", str(trace),
           "--state", state, "-o", str(out)], cwd=cwd, expect=(0,))
    return pathlib.Path(out)


def merge(reports: Sequence[PathArg], *, pmemu: str | None = None,
          cwd: PathArg | None = None) -> ExploreReport:
    """`pmemu merge A.json B.json ... -o OUT`: one report."""
    with tempfile.TemporaryDirectory(prefix="pmemu-merge-") as tmp:
        out = pathlib.Path(tmp) / "merged.json"
        args = [pmemu or find_pmemu(), "merge", *map(str, reports),
                "-o", str(out)]
        r = _exec(args, cwd=cwd)
        rep = _read_report(out, r)
    rep.text, rep.command = r.stdout, args
    return rep
