"""diff.py -- the differential run: generate sequences, run the Python
reference and the C oracle on them, compare, shrink a mismatch.

    python3 -m pmemu_ref.diff ORACLE [--seed S] [--count N] [--jobs J]
"""
import multiprocessing
import subprocess
import sys

from . import gen
from . import report


def is_check(line):
    """oracle-only consistency checks of the model.h API (not compared)"""
    return line.startswith("check ")


def reference_batch(args):
    """(name, text lines, reference output) of sequences [lo, hi)"""
    seed, lo, hi = args
    out = []
    for i in range(lo, hi):
        seq = gen.generate(seed, i)
        lines = gen.render(seq)
        out.append((seq.name, lines, report.run_sequence(seq.name,
                                                        lines[1:-1])))
    return out


def split_output(lines):
    """{sequence name: output lines} of a report"""
    res, name, cur = {}, None, None
    for line in lines:
        if line.startswith("seq "):
            name, cur = line[4:], [line]
            res[name] = cur
        elif cur is not None:
            cur.append(line)
    return res


def run_oracle(oracle, text, verbose=False):
    """(returncode, output lines) of the oracle on protocol text"""
    cmd = [oracle] + (["-v"] if verbose else [])
    p = subprocess.run(cmd, input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(errors="replace").splitlines()


NUMBERING_FIELDS = ("v=", "lost=", "wb=", "evict=", "torn=")


def compared(lines):
    """the lines both sides must agree on: images, open lines, findings;
    not the numbering of versions nor the outcome counts per kind, which
    only state identities depend on (see numbering())"""
    out = []
    for line in lines:
        if is_check(line):
            continue
        if line.startswith("open "):
            line = " ".join(w for w in line.split()
                            if not w.startswith(NUMBERING_FIELDS))
        out.append(line)
    return out


def category(ref, got):
    """what differs first: oracle-crash, crash, open, finding:CLASS, ..."""
    a, b = compared(ref), compared(got)
    for x, y in zip(a, b):
        if x != y:
            w = (x if x.split()[0] not in ("end",) else y).split()
            return w[0] + (":" + w[1] if w[0] == "finding" else "")
    return "length"


def numbering(lines):
    return [l for l in lines if l.startswith("open ")]


class Result:
    def __init__(self):
        self.count = 0
        self.mismatches = []   # names, in generation order
        self.renumbered = []   # same images, other version numbering
        self.checks = {}       # name -> oracle check lines
        self.crashed = []      # names whose oracle run died
        self.categories = {}   # category -> names

    def mismatch(self, name, cat):
        self.mismatches.append(name)
        self.categories.setdefault(cat, []).append(name)

    def merge(self, other):
        self.count += other.count
        self.mismatches += other.mismatches
        self.renumbered += other.renumbered
        self.checks.update(other.checks)
        self.crashed += other.crashed
        for cat, names in other.categories.items():
            self.categories.setdefault(cat, []).extend(names)


def compare_batch(args):
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


def compare_all(oracle, seed, count, jobs=2, batch=200):
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

def outcome(oracle, seq, steps):
    """None if both sides agree on steps, else a short description"""
    lines = gen.render(seq, steps)
    ref = report.run_sequence(seq.name, lines[1:-1])
    rc, out = run_oracle(oracle, "\n".join(lines) + "\n")
    if rc != 0:
        return "oracle exited with %d" % rc
    return None if compared(out) == compared(ref) else "outputs differ"


def shrink(oracle, seq, budget=600, still=None):
    """the smallest sub-list of seq's steps that still mismatches the
    same way (crash or different output; or as still(steps) says), by
    delta debugging"""
    if still is None:
        def still(steps):
            return outcome(oracle, seq, steps)
    steps = list(seq.steps)
    kind = still(steps)
    if kind is None:
        return steps, None
    chunk = max(1, len(steps) // 2)
    while chunk >= 1 and budget > 0:
        i, removed = 0, False
        while i < len(steps) and budget > 0:
            trial = steps[:i] + steps[i + chunk:]
            budget -= 1
            if trial and still(trial) == kind:
                steps, removed = trial, True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return steps, kind


def name_to_index(name):
    seed, index = name.split(".")
    return int(seed), int(index)


def explain(oracle, name, still=None):
    """text of a shrunk mismatch: the sequence and both verbose outputs;
    still(seq) gives the shrinking predicate (default: any mismatch)"""
    seed, index = name_to_index(name)
    seq = gen.generate(seed, index)
    steps, kind = shrink(oracle, seq, still=still and still(seq))
    lines = gen.render(seq, steps)
    ref = report.run_sequence(seq.name, lines[1:-1], verbose=True)
    rc, out = run_oracle(oracle, "\n".join(lines) + "\n", verbose=True)
    parts = ["sequence %s (%s), shrunk from %d to %d steps:" % (
        name, kind, len(seq.steps), len(steps))]
    parts += ["  " + l[:200] for l in lines]
    parts += ["reference (Python) says:"] + ["  " + l for l in ref]
    parts += ["oracle (C model, exit %d) says:" % rc] + ["  " + l for l in out]
    return "\n".join(parts)


def main(argv):
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
