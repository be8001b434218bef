"""report.py -- the reference model's side of the differential protocol
(docs/differential.md): a Reference that writes the report lines of each
crash point and the findings, and the command `python3 -m
pmemu_ref.report [-v] FILE`.
"""
import sys
from typing import Any, Optional

from . import format as fmt
from . import model
from .format import Event
from .model import Line, Region, Version
from .model import F_NO_FENCE, F_UNPERSISTED, STORE_KINDS


def flags_of(ln: Line) -> str:
    return (("d" if ln.dirty else "-") + ("f" if ln.wbs else "-")
            + ("u" if any(not v.known for v in ln.hist) else "-"))


def store_site(ln: Line) -> int:
    for v in ln.hist:
        if v.how in STORE_KINDS:
            return v.site
    return 0


# (durable hash, its difference to the pattern's, outcome counts, outcome
# hashes) of a line
LineState = tuple[int, int, Optional[dict[str, int]], Optional[set[int]]]


class Runner(model.Reference):
    """a Reference that writes the protocol's report lines"""

    def __init__(self, cfg: dict[str, Any], verbose: bool = False) -> None:
        super().__init__(cfg)
        self.verbose = verbose
        self.out: list[str] = []
        self.by_region: dict[int, dict[int, Line]] = {}
        self.pattern_sums: dict[int, int] = {}
        self.line_cache: dict[tuple[int, int], tuple[Any, LineState]] = {}
        self.last_crash: Optional[
            tuple[list[LineState], list[tuple[str, int, int]], list[str]]] \
            = None
        self.hash_memo: dict[tuple[int, int], dict[bytes, int]] = {}
        self.torn_hashes: dict[int, tuple[Version, bytes, list[int]]] = {}

    def add_region(self, rid: int, length: int, domain: str) -> None:
        super().add_region(rid, length, domain)
        self.by_region[rid] = {}
        r = self.regions[rid]
        self.out.append("region %d line=%d" % (rid, r.line))

    def line_at(self, region: Region, off: int) -> Line:
        ln = self.lines.get((region.rid, off))
        if ln is None:
            ln = super().line_at(region, off)
            self.by_region[region.rid][off] = ln
        return ln

    def pattern_sum(self, region: Region) -> int:
        s = self.pattern_sums.get(region.rid)
        if s is None:
            s = 0
            for o in range(0, region.len, region.line):
                s += fmt.line_hash(region.rid, o,
                                   fmt.pattern(region.rid, o, region.line))
            self.pattern_sums[region.rid] = s
        return s

    def line_state(self, ln: Line, region: Region) -> "LineState":
        """(durable hash, its difference to the pattern's hash, outcome
        counts, outcome hashes) of a line; cached while it does not change"""
        key = (ln.dseq, len(ln.hist), tuple(w.seq for w in ln.wbs),
               ln.uncertain_from, ln.d)
        hit = self.line_cache.get((ln.region, ln.off))
        if hit is not None and hit[0] == key:
            return hit[1]
        hd = fmt.line_hash(ln.region, ln.off, ln.d)
        delta = hd - fmt.line_hash(ln.region, ln.off, fmt.pattern(
            ln.region, ln.off, region.line))
        counts: Optional[dict[str, int]] = None
        hashes: Optional[set[int]] = None
        if ln.hist:
            counts, hashes = self.outcome_hashes(ln, hd)
        val = (hd, delta, counts, hashes)
        self.line_cache[(ln.region, ln.off)] = (key, val)
        return val

    def outcome_hashes(self, ln: Line,
                       hd: int) -> tuple[dict[str, int], set[int]]:
        """outcome counts per kind and the set of outcome line hashes, as
        outcomes() would give them, reusing each version's hashes"""
        memo = self.hash_memo.setdefault((ln.region, ln.off), {})

        def h(c: bytes) -> int:
            x = memo.get(c)
            if x is None:
                x = memo[c] = fmt.line_hash(ln.region, ln.off, c)
            return x
        hashes = {hd}
        wb = 0
        for s in sorted({w.seq for w in ln.wbs}):
            v = ln.version(s)
            if v.known:
                wb += 1
                hashes.add(h(v.content))
        evict = 0
        for v in ln.hist:
            if v.known:
                evict += 1
                hashes.add(h(v.content))
        torn = 0
        for v, base, units, size in self.tearable(ln):
            cached = self.torn_hashes.get(id(v))
            if cached is None or cached[0] is not v or cached[1] != base:
                hs = [h(c) for c in self.torn_of(v, base, units, size)]
                cached = (v, base, hs)
                self.torn_hashes[id(v)] = cached
            torn += len(cached[2])
            hashes.update(cached[2])
        poison = 0
        if self.poisonable(ln):
            poison = 1
            hashes.add(fmt.line_hash(
                ln.region, ln.off ^ fmt.POISON_BIT,
                fmt.poison_content(self.regions[ln.region].line)))
        return {"lost": 1, "wb": wb, "evict": evict, "torn": torn,
                "poison": poison}, hashes

    def ev_crash(self, ev: Event) -> None:
        base = 0
        opened: list[tuple[Line, int, dict[str, int], set[int]]] = []
        states: list[LineState] = []
        for rid in sorted(self.regions):
            region = self.regions[rid]
            base += self.pattern_sum(region)
            lines = self.by_region[rid]
            for off in sorted(lines):
                ln = lines[off]
                state = self.line_state(ln, region)
                hd, delta, counts, hashes = state
                states.append(state)
                base += delta
                if counts is not None and hashes is not None:
                    opened.append((ln, hd, counts, hashes))
        # nothing changed since the last crash point: same report
        flags = [(flags_of(ln), store_site(ln), len(ln.hist))
                 for ln, _, _, _ in opened]
        again = self.last_crash
        if again is not None and again[0] == states and again[1] == flags:
            head = again[2][0].split(" ", 2)[2]
            self.out.append("crash %d %s" % (self.crashes, head))
            self.out.extend(again[2][1:])
        else:
            mark = len(self.out)
            self.report_crash(base & fmt.MASK64, opened)
            self.last_crash = (states, flags, self.out[mark:])
        self.crashes += 1

    def report_crash(self, base: int, opened: list[
            tuple[Line, int, dict[str, int], set[int]]]) -> None:
        product = 1
        for ln, hd, counts, hashes in opened:
            product *= len(hashes)
        whole = product <= fmt.IMAGE_SET_MAX
        head = "crash %d open=%d durable=%s" % (self.crashes, len(opened),
                                               fmt.hx(base))
        if whole:
            sums = {base}
            for ln, hd, counts, hashes in opened:
                deltas = {h - hd for h in hashes}
                sums = {(s + d) & fmt.MASK64 for s in sums for d in deltas}
            self.out.append(head + " images=%d set=%s"
                            % (len(sums), fmt.hx(fmt.set_digest(sums))))
            if self.verbose:
                self.out.extend("image " + fmt.hx(h) for h in sorted(sums))
        else:
            self.out.append(head + " images=perline")
        for ln, hd, counts, hashes in opened:
            text = ("open %d %d v=%d flags=%s site=%d lost=%d wb=%d evict=%d"
                    " torn=%d poison=%d distinct=%d" % (
                        ln.region, ln.off, len(ln.hist), flags_of(ln),
                        store_site(ln), counts["lost"], counts["wb"],
                        counts["evict"], counts["torn"], counts["poison"],
                        len(hashes)))
            if not whole:
                text += " set=" + fmt.hx(fmt.set_digest(hashes))
            self.out.append(text)
            if self.verbose and not whole:
                self.out.extend("linehash " + fmt.hx(h)
                                for h in sorted(hashes))

    def report_findings(self) -> None:
        rows = sorted(self.findings.items(),
                      key=lambda kv: (kv[0][0], -kv[1][0], kv[0][1],
                                      len(kv[0])))
        for key, (count, lines) in rows:
            cls, site = key[:2]
            text = "finding %s site=%d count=%d" % (
                fmt.FINDING_CLASSES[cls], site, count)
            if cls in (F_UNPERSISTED, F_NO_FENCE):
                text += " lines=%d" % len(lines)
            if len(key) > 2:
                text += " guessed"
            self.out.append(text)


def run_sequence(name: str, lines: list[str],
                 verbose: bool = False) -> list[str]:
    """the report lines of one sequence (without its `seq`/`end` lines)"""
    runner: Optional[Runner] = None
    for line in lines:
        if line.startswith("config"):
            runner = Runner(fmt.parse_config(line), verbose)
            continue
        if runner is None:
            raise ValueError("seq %s: %r before its config line"
                             % (name, line))
        if line.startswith("region "):
            f = line.split()
            runner.add_region(int(f[1]), fmt.parse_int(f[2]), f[3])
        else:
            ev = fmt.parse_event(line)
            if ev is not None:
                runner.apply(ev)
    if runner is None:
        raise ValueError("seq %s: no config line" % name)
    runner.report_findings()
    return ["seq " + name] + runner.out + ["end"]


def run_text(text: str, verbose: bool = False) -> list[str]:
    out: list[str] = []
    for name, lines in fmt.split_sequences(text):
        out.extend(run_sequence(name, lines, verbose))
    return out


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    paths = [a for a in argv if a != "-v"]
    text = open(paths[0]).read() if paths else sys.stdin.read()
    sys.stdout.write("\n".join(run_text(text, verbose)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
