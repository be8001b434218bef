"""diff.py -- the differential run: generate sequences, run the Python
reference and the C oracle on them, compare, shrink a mismatch.

    python3 -m pmemu_ref.diff ORACLE [--seed S] [--count N] [--jobs J]
"""
import multiprocessing
import subprocess
import sys
from typing import Callable, Optional

from . import gen
from . import report
from .gen import Sequence, Step

# the shrinking predicate: None when steps agree, else how they differ
Still = Callable[[list[Step]], Optional[str]]
# (name, protocol lines, reference report lines) of one sequence
BatchItem = tuple[str, list[str], list[str]]


def is_check(line: str) -> bool:
    """oracle-only consistency checks of the model.h API (not compared)"""
    return line.startswith("check ")


def reference_batch(args: tuple[int, int, int]) -> list[BatchItem]:
    """(name, text lines, reference output) of sequences [lo, hi)"""
    seed, lo, hi = args
    out: list[BatchItem] = []
    for i in range(lo, hi):
        seq = gen.generate(seed, i)
        lines = gen.render(seq)
        out.append((seq.name, lines, report.run_sequence(seq.name,
                                                        lines[1:-1])))
    return out


def split_output(lines: list[str]) -> dict[str, list[str]]:
    """{sequence name: output lines} of a report"""
    res: dict[str, list[str]] = {}
    cur: Optional[list[str]] = None
    for line in lines:
        if line.startswith("seq "):
            cur = [line]
            res[line[4:]] = cur
        elif cur is not None:
            cur.append(line)
    return res


def run_oracle(oracle: str, text: str,
               verbose: bool = False) -> tuple[int, list[str]]:
    """(returncode, output lines) of the oracle on protocol text"""
    cmd = [oracle] + (["-v"] if verbose else [])
    p = subprocess.run(cmd, input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(errors="replace").splitlines()


NUMBERING_FIELDS = ("v=", "lost=", "wb=", "evict=", "torn=")


def compared(lines: list[str]) -> list[str]:
    """the lines both sides must agree on: images, open lines, findings;
    not the numbering of versions nor the outcome counts per kind, which
    only state identities depend on (see numbering())"""
    out: list[str] = []
    for line in lines:
        if is_check(line):
            continue
        if line.startswith("open "):
            line = " ".join(w for w in line.split()
                            if not w.startswith(NUMBERING_FIELDS))
        out.append(line)
    return out


def category(ref: list[str], got: list[str]) -> str:
    """what differs first: oracle-crash, crash, open, finding:CLASS, ..."""
    a, b = compared(ref), compared(got)
    for x, y in zip(a, b):
        if x != y:
            w = (x if x.split()[0] not in ("end",) else y).split()
            return w[0] + (":" + w[1] if w[0] == "finding" else "")
    return "length"


def numbering(lines: list[str]) -> list[str]:
    return [l for l in lines if l.startswith("open ")]


class Result:
    def __init__(self) -> None:
        self.count = 0
        self.mismatches: list[str] = []   # names, in generation order
        # same images, other version numbering
        self.renumbered: list[str] = []
        self.checks: dict[str, list[str]] = {}  # name -> oracle checks
        self.crashed: list[str] = []      # names whose oracle run died
        self.categories: dict[str, list[str]] = {}  # category -> names

    def mismatch(self, name: str, cat: str) -> None:
        self.mismatches.append(name)
        self.categories.setdefault(cat, []).append(name)

    def merge(self, other: "Result") -> None:
        self.count += other.count
        self.mismatches += other.mismatches
        self.renumbered += other.renumbered
        self.checks.update(other.checks)
        self.crashed += other.crashed
        for cat, names in other.categories.items():
            self.categories.setdefault(cat, []).extend(names)


def compare_batch(args: tuple[str, int, int, int]) -> Result:
    """generate sequences [lo, hi) of seed, run both sides, compare"""
    oracle, seed, lo, hi = args
    res = Result()
    pending = reference_batch((seed, lo, hi))
    res.count = len(pending)
    while pending:
        text = "\n".join(l for _, lines, _ in pending for l in lines) + "\n"
        rc, out = run_oracle(oracle, text)
        got = split_output(out)
        done = len(pending)
        if rc != 0:  # the last sequence it started is the one that died
            started = [l[4:] for l in out if l.startswith("seq ")]
            names = [n for n, _, _ in pending]
            done = names.index(started[-1]) if started else 0
            res.crashed.append(names[done])
            res.mismatch(names[done], "oracle-died")
        for name, lines, ref in pending[:done]:
            c = got.get(name, [])
            checks = [l for l in c if is_check(l)]
            if checks:
                res.checks[name] = checks
            if compared(c) != compared(ref):
                res.mismatch(name, category(ref, c))
            elif numbering(c) != numbering(ref):
                res.renumbered.append(name)
        pending = pending[done + 1:] if rc != 0 else []
    return res


def compare_all(oracle: str, seed: int, count: int, jobs: int = 2,
                batch: int = 200) -> Result:
    """run both sides on sequences 0..count-1 of seed, jobs at a time"""
    batches = [(oracle, seed, lo, min(count, lo + batch))
               for lo in range(0, count, batch)]
    if jobs > 1:
        with multiprocessing.Pool(jobs) as pool:
            parts = pool.map(compare_batch, batches, chunksize=1)
    else:
        parts = [compare_batch(b) for b in batches]
    res = Result()
    for part in parts:
        res.merge(part)
    return res


# ---- shrinking ----

def outcome(oracle: str, seq: Sequence, steps: list[Step]) -> Optional[str]:
    """None if both sides agree on steps, else a short description"""
    lines = gen.render(seq, steps)
    ref = report.run_sequence(seq.name, lines[1:-1])
    rc, out = run_oracle(oracle, "\n".join(lines) + "\n")
    if rc != 0:
        return "oracle exited with %d" % rc
    return None if compared(out) == compared(ref) else "outputs differ"


def shrink(oracle: str, seq: Sequence, budget: int = 600,
           still: Optional[Still] = None) -> tuple[list[Step], Optional[str]]:
    """the smallest sub-list of seq's steps that still mismatches the
    same way (crash or different output; or as still(steps) says), by
    delta debugging"""
    def differs(steps: list[Step]) -> Optional[str]:
        return outcome(oracle, seq, steps)
    test = differs if still is None else still
    steps = list(seq.steps)
    kind = test(steps)
    if kind is None:
        return steps, None
    chunk = max(1, len(steps) // 2)
    while chunk >= 1 and budget > 0:
        i, removed = 0, False
        while i < len(steps) and budget > 0:
            trial = steps[:i] + steps[i + chunk:]
            budget -= 1
            if trial and test(trial) == kind:
                steps, removed = trial, True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return steps, kind


def name_to_index(name: str) -> tuple[int, int]:
    seed, index = name.split(".")
    return int(seed), int(index)


def explain(oracle: str, name: str,
            still: Optional[Callable[[Sequence], Still]] = None) -> str:
    """text of a shrunk mismatch: the sequence and both verbose outputs;
    still(seq) gives the shrinking predicate (default: any mismatch)"""
    seed, index = name_to_index(name)
    seq = gen.generate(seed, index)
    steps, kind = shrink(oracle, seq,
                         still=None if still is None else still(seq))
    lines = gen.render(seq, steps)
    ref = report.run_sequence(seq.name, lines[1:-1], verbose=True)
    rc, out = run_oracle(oracle, "\n".join(lines) + "\n", verbose=True)
    parts = ["sequence %s (%s), shrunk from %d to %d steps:" % (
        name, kind, len(seq.steps), len(steps))]
    parts += ["  " + l[:200] for l in lines]
    parts += ["reference (Python) says:"] + ["  " + l for l in ref]
    parts += ["oracle (C model, exit %d) says:" % rc] + ["  " + l for l in out]
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="pmemu_ref.diff")
    ap.add_argument("oracle")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--explain", type=int, default=1,
                    help="shrink and print this many mismatches")
    a = ap.parse_args(argv)
    res = compare_all(a.oracle, a.seed, a.count, a.jobs)
    print("%d sequences, %d mismatches, %d oracle crashes, %d with "
          "oracle API checks, %d numbered versions differently"
          % (res.count, len(res.mismatches), len(res.crashed),
             len(res.checks), len(res.renumbered)))
    for name in list(res.checks)[:3]:
        print("checks in %s: %s" % (name, "; ".join(res.checks[name][:4])))
    for cat, names in sorted(res.categories.items()):
        print("category %s: %d sequences" % (cat, len(names)))
    for cat, names in sorted(res.categories.items()):
        for name in sorted(names, key=lambda n: len(
                gen.generate(*name_to_index(n)).steps))[:a.explain]:
            print("== " + cat)
            print(explain(a.oracle, name))
    return 1 if res.mismatches or res.checks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
