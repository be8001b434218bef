"""gen.py -- seeded random event sequences for the differential test.

A sequence is generated as abstract events (`Step`s) over a TRUE view of
the regions: untraced stores carry real random bytes that the models never
see. render() turns the steps into protocol text and, as the shim does,
puts a `snapshot` with the true content of a line before any flush (or
streaming store, msync, fsync, shutdown) of a line that had untraced
stores since its last snapshot. Because snapshots are computed at render
time, dropping steps (shrinking) always leaves a consistent sequence.
"""
import random
from typing import Any, Callable, Iterator, Optional

from . import format as fmt

STORE_WIDTHS = (1, 2, 4, 8, 16, 32, 64)
PAGE_WIDTHS = STORE_WIDTHS + (100, 512, 700, 1500)
NT_WIDTHS = (4, 8, 16, 32, 64)
# wide stores over bytes the line already holds (a header zeroed again):
# only some of their pieces, or none, change the bytes
REWRITE_WIDTHS = (16, 32, 64, 128, 328)
PAGE_REWRITE_WIDTHS = (512, 1500, 4096)


# an abstract event: the same fields a parsed event line has
Step = fmt.Event


class Sequence:
    def __init__(self, name: str, cfg: dict[str, Any],
                 regions: list[tuple[int, int, str]],
                 steps: list[Step]) -> None:
        self.name = name
        self.cfg = cfg              # dict as format.parse_config returns
        self.regions = regions      # [(id, len, domain)]
        self.steps = steps

    def line_len(self, rid: int) -> int:
        dom = self.regions[rid][2]
        return fmt.PAGE if dom == "pagecache" else int(self.cfg["line"])


# ---- generation ----

def pick_config(rng: random.Random) -> tuple[dict[str, Any],
                                            list[tuple[int, int, str]]]:
    kind = rng.choice(("adr", "adr", "adr-weak", "eadr", "pc512", "pc4096",
                       "cxl", "mixed"))
    line = 128 if rng.random() < 0.05 else 64
    cfg: dict[str, Any] = {"domain": "adr", "line": line, "sector": 512,
                           "clflush": "strong"}
    doms = ["adr"]
    if kind == "adr-weak":
        cfg["clflush"] = "weak"
    elif kind in ("eadr", "cxl"):
        cfg["domain"], doms = kind, [kind]
    elif kind.startswith("pc"):
        cfg.update(domain="pagecache", line=fmt.PAGE, sector=int(kind[2:]))
        doms = ["pagecache"]
    elif kind == "mixed":
        doms = ["adr", "eadr", "pagecache", "cxl"]
        cfg["sector"] = rng.choice((512, 4096))
    nreg = rng.choice((1, 1, 2))
    regions: list[tuple[int, int, str]] = []
    for rid in range(nreg):
        dom = doms[0] if rid == 0 else rng.choice(doms)
        ll = fmt.PAGE if dom == "pagecache" else cfg["line"]
        nlines = rng.randint(2, 4) if dom == "pagecache" else \
            rng.randint(4, 8)
        regions.append((rid, nlines * ll, dom))
    return cfg, regions


class Generator:
    def __init__(self, rng: random.Random, cfg: dict[str, Any],
                 regions: list[tuple[int, int, str]], nthreads: int) -> None:
        self.rng = rng
        self.cfg = cfg
        self.regions = regions
        self.tids = list(range(nthreads))
        # a few hot lines per region so that lines are shared and revisited
        self.hot: dict[int, tuple[int, list[int]]] = {}
        for rid, rlen, dom in regions:
            ll = fmt.PAGE if dom == "pagecache" else cfg["line"]
            n = rlen // ll
            self.hot[rid] = (ll, rng.sample(range(n), min(n, rng.randint(1, 3))))

    def where(self, width_max: Optional[int] = None
              ) -> tuple[int, int, str, int, int]:
        rng = self.rng
        rid, rlen, dom = rng.choice(self.regions)
        ll, hot = self.hot[rid]
        line = rng.choice(hot) if rng.random() < 0.8 else \
            rng.randrange(rlen // ll)
        return rid, rlen, dom, ll, line * ll

    def store_place(self, widths: tuple[int, ...],
                    align_p: float) -> tuple[int, int, int]:
        rng = self.rng
        rid, rlen, dom, ll, base = self.where()
        w = rng.choice(PAGE_WIDTHS if dom == "pagecache" else widths)
        if rng.random() < align_p:
            off = base + rng.randrange(max(1, ll // w)) * w % ll
        elif rng.random() < 0.3:
            off = base + ll - rng.randint(1, min(w, ll))  # spans the next line
        else:
            off = base + rng.randrange(ll)
        off = min(off, rlen - 1)
        w = min(w, rlen - off)
        return rid, off, w

    def flush_range(self) -> tuple[int, int, int]:
        rng = self.rng
        rid, rlen, dom, ll, base = self.where()
        r = rng.random()
        if r < 0.6:
            off, n = base + rng.randrange(ll), 1
        elif r < 0.85:
            off, n = base, ll * rng.randint(1, 2)
        else:
            off = rng.randrange(rlen)
            n = rng.randint(1, rlen - off)
        return rid, off, min(n, rlen - off)

    def rewrite(self, tid: int, site: int) -> Step:
        """a wide traced store whose bytes equal the memory's but in
        some 8-byte pieces (none 40% of the time); the bytes are taken
        when rendered, from the true view then"""
        rng = self.rng
        rid, rlen, dom, ll, base = self.where()
        w = rng.choice(PAGE_REWRITE_WIDTHS if dom == "pagecache"
                       else REWRITE_WIDTHS)
        off = base if rng.random() < 0.7 else base + rng.randrange(ll)
        off = min(off, rlen - 1)
        w = min(w, rlen - off)
        pieces = range(off // 8, (off + w - 1) // 8 + 1)
        # at most 8 changed: a line's torn set stays exhaustive in both
        # models (the C model samples lines of more than 10 pieces)
        changed: frozenset[int] = frozenset()
        if rng.random() >= 0.4:
            changed = frozenset(rng.sample(
                pieces, rng.randint(1, min(8, len(pieces)))))
        return Step("rewrite", tid, site, rid, off, w,
                    (rand_bytes(rng, w), changed))

    def step(self) -> Step:
        rng = self.rng
        tid, site = rng.choice(self.tids), rng.randint(1, 9)
        r = rng.random()
        if r < 0.27:
            rid, off, w = self.store_place(STORE_WIDTHS, 0.6)
            data = rand_bytes(rng, w)
            return Step("store", tid, site, rid, off, w, data)
        if r < 0.34:
            return self.rewrite(tid, site)
        if r < 0.42:
            rid, off, w = self.store_place(STORE_WIDTHS, 0.5)
            # None: page protection saw a store that changed nothing new
            seen = None if rng.random() < 0.3 else rand_bytes(rng, w)
            return Step("untraced", tid, site, rid, off, w, seen)
        if r < 0.48:
            rid, off, w = self.store_place(NT_WIDTHS, 0.8)
            return Step("nt", tid, site, rid, off, w, rand_bytes(rng, w))
        if r < 0.51:
            rid, rlen, dom, ll, base = self.where()
            off = base + rng.randrange(ll // 64) * 64 if ll >= 64 else base
            return Step("movdir64b", tid, site, rid, off, 64,
                        rand_bytes(rng, 64))
        if r < 0.70:
            rid, off, n = self.flush_range()
            return Step(rng.choice(fmt.FLUSH_KINDS), tid, site, rid, off, n)
        if r < 0.83:
            return Step(rng.choice(fmt.FENCE_KINDS), tid)
        if r < 0.86:
            rid, rlen, dom, ll, base = self.where()
            off = 0 if rng.random() < 0.7 else rng.randrange(rlen)
            return Step("msync", tid, 0, rid, off,
                        rng.randint(1, rlen - off))
        if r < 0.88:
            which = None if rng.random() < 0.3 else \
                rng.choice(self.regions)[0]
            return Step("fsync", tid, 0, which)
        if r < 0.93:
            rid, rlen, dom, ll, base = self.where()
            return Step("snap", tid, 0, rid, base)
        if r < 0.95:
            rid, off, n = self.flush_range()
            return Step("shutdown", None, 0, rid, off, n)
        return Step("outside", tid, site, None, rng.randrange(1 << 20),
                    rng.choice((1, 64, 200)))


def rand_bytes(rng: random.Random, n: int) -> bytes:
    return rng.randbytes(n)


def generate(seed: int, index: int) -> Sequence:
    """the sequence number `index` of the run seeded with `seed`"""
    rng = random.Random(seed * 1000003 + index)
    cfg, regions = pick_config(rng)
    g = Generator(rng, cfg, regions, rng.randint(1, 4))
    steps: list[Step] = []
    for _ in range(rng.randint(10, 40)):
        s = g.step()
        if s.kind in fmt.FENCE_KINDS and rng.random() < 0.7:
            steps.append(Step("crash"))  # before a fence: in flight is largest
        steps.append(s)
        if rng.random() < 0.25:
            steps.append(Step("crash"))
    steps.append(Step("crash"))
    if rng.random() < 0.7:
        steps.append(Step("shutdown", None, 0, None, 0, 0))
        steps.append(Step("crash"))
    return Sequence("%d.%d" % (seed, index), cfg, regions, steps)


# ---- rendering ----

class TrueView:
    """the real memory of every region, and which lines it hid from the
    models (untraced stores since the line's last snapshot)"""

    def __init__(self, seq: Sequence) -> None:
        self.seq = seq
        self.mem = {rid: bytearray(fmt.pattern(rid, 0, rlen))
                    for rid, rlen, _ in seq.regions}
        self.hidden: set[tuple[int, int]] = set()

    def lines(self, rid: int, off: int, n: int) -> Iterator[int]:
        ll = self.seq.line_len(rid)
        rlen = self.seq.regions[rid][1]
        o = off - off % ll
        while o < min(off + n, rlen):
            yield o
            o += ll

    def reveal(self, out: list[str], tid: int, rid: int, off: int,
               n: int) -> None:
        """snapshots of the hidden lines of [off, off+n), as the shim does"""
        ll = self.seq.line_len(rid)
        for o in self.lines(rid, off, n):
            if (rid, o) in self.hidden:
                self.snapshot(out, tid, rid, o, ll)

    def snapshot(self, out: list[str], tid: int, rid: int, o: int,
                 ll: int) -> None:
        self.hidden.discard((rid, o))
        out.append("snapshot %d %d %d %s" % (
            tid, rid, o, bytes(self.mem[rid][o:o + ll]).hex()))


def region_ids(seq: Sequence, rid: Optional[int]) -> list[int]:
    return [r[0] for r in seq.regions] if rid is None else [rid]


def render_step(s: Step, tv: TrueView, out: list[str]) -> None:
    seq = tv.seq
    k = s.kind
    if k == "crash":
        out.append("crash")
        return
    if k == "shutdown":
        render_shutdown(s, tv, out)
        return
    tid = s.tid
    assert tid is not None  # every other step has its thread
    if k in fmt.FENCE_KINDS:
        out.append("%s %d" % (k, tid))
        return
    if k == "outside":
        out.append("outside %d %d %d %d" % (tid, s.site, s.off, s.len))
        return
    if k == "fsync":
        for r in region_ids(seq, s.region):
            tv.reveal(out, tid, r, 0, seq.regions[r][1])
        out.append("fsync %d %s" % (tid, "all" if s.region is None
                                    else s.region))
        return
    rid = s.region
    assert rid is not None  # every other step names its region
    if k == "rewrite":
        new, changed = s.data
        mem = tv.mem[rid]
        data = bytes(new[i] if (s.off + i) // 8 in changed else mem[s.off + i]
                     for i in range(s.len))
        s = Step("store", tid, s.site, rid, s.off, s.len, data)
        k = "store"
    if k == "store":
        tv.mem[rid][s.off:s.off + s.len] = s.data
        out.append("store %d %d %d %d %d %s" % (tid, s.site, rid,
                                                s.off, s.len, s.data.hex()))
    elif k == "untraced":
        if s.data is not None:
            tv.mem[rid][s.off:s.off + s.len] = s.data
        tv.hidden.update((rid, o) for o in tv.lines(rid, s.off, s.len))
        out.append("store %d %d %d %d %d -" % (tid, s.site, rid,
                                               s.off, s.len))
    elif k in ("nt", "movdir64b"):
        tv.reveal(out, tid, rid, s.off, s.len)
        tv.mem[rid][s.off:s.off + s.len] = s.data
        if k == "nt":
            out.append("nt %d %d %d %d %d %s" % (tid, s.site, rid,
                                                 s.off, s.len, s.data.hex()))
        else:
            out.append("movdir64b %d %d %d %d %s" % (
                tid, s.site, rid, s.off, s.data.hex()))
    elif k in fmt.FLUSH_KINDS:
        tv.reveal(out, tid, rid, s.off, s.len)
        out.append("%s %d %d %d %d %d" % (k, tid, s.site, rid, s.off,
                                          s.len))
    elif k == "msync":
        start = s.off - s.off % fmt.PAGE
        tv.reveal(out, tid, rid, start, s.off + s.len - start
                  + fmt.PAGE)
        out.append("msync %d %d %d %d" % (tid, rid, s.off, s.len))
    elif k == "snap":
        tv.snapshot(out, tid, rid, s.off, seq.line_len(rid))
    else:
        raise ValueError(k)


def render_shutdown(s: Step, tv: TrueView, out: list[str]) -> None:
    seq = tv.seq
    if s.region is None:
        for rid in region_ids(seq, None):
            tv.reveal(out, 0, rid, 0, seq.regions[rid][1])
        out.append("shutdown all")
    else:
        tv.reveal(out, 0, s.region, s.off, s.len)
        out.append("shutdown %d %d %d" % (s.region, s.off, s.len))


def render(seq: Sequence, steps: Optional[list[Step]] = None) -> list[str]:
    """the protocol text lines of seq (optionally with other steps)"""
    c = seq.cfg
    out = ["seq " + seq.name,
           "config domain=%s line=%d sector=%d clflush=%s" % (
               c["domain"], c["line"], c["sector"], c["clflush"])]
    for rid, rlen, dom in seq.regions:
        out.append("region %d %d %s" % (rid, rlen, dom))
    tv = TrueView(seq)
    for s in (seq.steps if steps is None else steps):
        render_step(s, tv, out)
    out.append("end")
    return out


def main(argv: list[str]) -> int:
    import sys
    seed = int(argv[0]) if argv else 1
    count = int(argv[1]) if len(argv) > 1 else 10
    for i in range(count):
        sys.stdout.write("\n".join(render(generate(seed, i))) + "\n")
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
