"""model.py -- the reference persistency model, written from MODEL.md and
docs/model.md only (never from emulator/model/*.c).

It favours plain data over speed tricks: a line keeps its durable content
D, its history of versions since D, the write-backs in flight on it, and
two flags (dirty, uncertain). Crash outcomes are enumerated from that
state exactly as docs/model.md, "What a crash may leave", lists them.
"""
from typing import Any, Iterator, Optional

from . import format as fmt
from .format import Event

# how a version was made
V_STORE, V_UNTRACED, V_NT, V_MOVDIR, V_SNAPSHOT = range(5)
STORE_KINDS = (V_STORE, V_UNTRACED, V_NT, V_MOVDIR)

F_UNPERSISTED, F_NO_FENCE, F_REDUNDANT, F_OUTSIDE, F_PAGECACHE = range(5)


class Version:
    __slots__ = ("seq", "content", "known", "how", "site", "pieces",
                 "torn_cache")

    def __init__(self, seq: int, content: bytes, known: bool, how: int,
                 site: int, pieces: int) -> None:
        self.seq = seq          # per line, increasing; D has seq dseq
        self.content = content  # tracked content (wrong when not known)
        self.known = known
        self.how = how
        self.site = site
        self.pieces = pieces    # bitmask of 8-byte pieces the write touched
        # (base content, torn contents) of Runner
        self.torn_cache: Optional[tuple[bytes, list[bytes]]] = None


class WriteBack:
    __slots__ = ("line", "seq", "tid", "site", "pending")

    def __init__(self, line: "Line", seq: int, tid: Optional[int], site: int,
                 pending: bool) -> None:
        self.line = line
        self.seq = seq          # version written back
        self.tid = tid
        self.site = site
        self.pending = pending  # strong clflush: completes at T's next event


class Line:
    __slots__ = ("region", "off", "d", "dseq", "hist", "wbs", "dirty",
                 "uncertain_from")

    def __init__(self, region: int, off: int, content: bytes) -> None:
        self.region = region
        self.off = off
        self.d = content
        self.dseq = 0
        self.hist: list[Version] = []
        self.wbs: list[WriteBack] = []
        self.dirty = False
        # seq of the first version while uncertain
        self.uncertain_from: Optional[int] = None

    def view(self) -> bytes:
        return self.hist[-1].content if self.hist else self.d

    def add_version(self, content: bytes, how: int, site: int,
                    pieces: int) -> int:
        known = self.uncertain_from is None
        seq = self.dseq + len(self.hist) + 1
        self.hist.append(Version(seq, content, known, how, site, pieces))
        return seq

    def version(self, seq: int) -> Version:
        return self.hist[seq - self.dseq - 1]

    def complete(self, seq: int) -> None:
        """the write-back of version seq reached the media"""
        if seq <= self.dseq:
            return  # superseded by a later completion
        k = seq - self.dseq
        self.d = self.hist[k - 1].content
        self.hist = self.hist[k:]
        self.dseq = seq
        self.wbs = [w for w in self.wbs if w.seq > seq]
        if self.uncertain_from is not None and self.uncertain_from <= seq:
            self.uncertain_from = seq + 1  # the view is still unknown


class Region:
    __slots__ = ("rid", "len", "domain", "line")

    def __init__(self, rid: int, length: int, domain: str, line: int) -> None:
        self.rid = rid
        self.len = length
        self.domain = domain
        self.line = line


def pieces_of(lo: int, n: int) -> int:
    first, last = lo // 8, (lo + n - 1) // 8
    return ((1 << (last + 1)) - 1) ^ ((1 << first) - 1)


class Reference:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.clflush_weak = cfg["clflush"] == "weak"
        self.sector = cfg["sector"]
        self.regions: dict[int, Region] = {}
        self.lines: dict[tuple[int, int], Line] = {}
        # tid -> [WriteBack] in issue order
        self.inflight: dict[Optional[int], list[WriteBack]] = {}
        # tid -> [WriteBack] strong clflushes
        self.pending: dict[Optional[int], list[WriteBack]] = {}
        # (cls, site[, "guessed"]) -> [count, lines found (a line found at
        # two shutdowns counts twice)]
        self.findings: dict[tuple[Any, ...], list[Any]] = {}
        self.crashes = 0

    # ---- regions and lines ----
    def add_region(self, rid: int, length: int, domain: str) -> None:
        line = fmt.PAGE if domain == "pagecache" else self.cfg["line"]
        self.regions[rid] = Region(rid, length, domain, line)

    def line_at(self, region: Region, off: int) -> Line:
        key = (region.rid, off)
        ln = self.lines.get(key)
        if ln is None:
            ln = Line(region.rid, off, fmt.pattern(region.rid, off,
                                                   region.line))
            self.lines[key] = ln
        return ln

    def line_offs(self, region: Region, off: int, n: int) -> Iterator[int]:
        """line offsets of [off, off+n) clipped to the region"""
        end = min(off + n, region.len)
        o = off - off % region.line
        while o < end:
            yield o
            o += region.line

    def touched_lines(self, region: Region) -> list[Line]:
        return [ln for (rid, _), ln in sorted(self.lines.items())
                if rid == region.rid]

    def find(self, cls: int, site: int, line: Optional[Line] = None) -> None:
        f = self.findings.setdefault((cls, site), [0, []])
        f[0] += 1
        if line is not None:
            f[1].append((line.region, line.off))

    # ---- write-backs and fences ----
    def issue(self, ln: Line, tid: Optional[int], site: int,
              pending: bool) -> None:
        wb = WriteBack(ln, ln.dseq + len(ln.hist), tid, site, pending)
        ln.wbs.append(wb)
        (self.pending if pending else self.inflight).setdefault(
            tid, []).append(wb)
        ln.dirty = False

    def settle_clflush(self, tid: Optional[int]) -> None:
        """a strong clflush completes at its thread's next event"""
        wbs = self.pending.pop(tid, None)
        for wb in wbs or ():
            wb.line.complete(wb.seq)

    def fence(self, tid: Optional[int]) -> None:
        for wb in self.inflight.pop(tid, None) or ():
            wb.line.complete(wb.seq)

    # ---- events ----
    def apply(self, ev: Event) -> None:
        if ev.tid is not None and ev.kind != "snapshot":
            self.settle_clflush(ev.tid)
        getattr(self, "ev_" + ev.kind)(ev)

    def each_piece(self, ev: Event) -> Iterator[
            tuple[Region, Line, int, int, Optional[bytes]]]:
        """(region, line, lo, bytes) for each line a write touches"""
        assert ev.region is not None
        region = self.regions[ev.region]
        for o in self.line_offs(region, ev.off, ev.len):
            lo = max(ev.off, o) - o
            hi = min(ev.off + ev.len, o + region.line, region.len) - o
            start = o + lo - ev.off
            data = None if ev.data is None else \
                ev.data[start:start + hi - lo]
            yield region, self.line_at(region, o), lo, hi - lo, data

    def write(self, ev: Event, how: int) -> None:
        for region, ln, lo, n, data in self.each_piece(ev):
            view = ln.view()
            content = view if data is None else \
                view[:lo] + data + view[lo + n:]
            if region.domain == "eadr":
                ln.d = content  # the caches are persistent: durable now
                continue
            if region.domain == "pagecache" and how in (V_NT, V_MOVDIR):
                how_here = V_STORE  # the page cache is not the media
            else:
                how_here = how
            if how_here == V_UNTRACED and ln.uncertain_from is None:
                ln.uncertain_from = ln.dseq + len(ln.hist) + 1
            ln.add_version(content, how_here, ev.site, pieces_of(lo, n))
            if how_here in (V_NT, V_MOVDIR):
                # Refinement 2: the streaming store carries the whole line
                self.issue(ln, ev.tid, ev.site, False)
            else:
                ln.dirty = True

    def ev_store(self, ev: Event) -> None:
        self.write(ev, V_STORE if ev.data is not None else V_UNTRACED)

    def ev_nt(self, ev: Event) -> None:
        self.write(ev, V_NT)

    def ev_movdir64b(self, ev: Event) -> None:
        self.write(ev, V_MOVDIR)

    def ev_snapshot(self, ev: Event) -> None:
        assert ev.region is not None and ev.data is not None
        region = self.regions[ev.region]
        ln = self.line_at(region, ev.off - ev.off % region.line)
        view = ln.view()
        if region.domain == "eadr":
            ln.d = ev.data
        elif ev.data == view:
            if ln.uncertain_from is not None:
                for v in ln.hist:
                    if v.seq >= ln.uncertain_from:
                        v.known = True
        else:
            ln.uncertain_from = None
            ln.add_version(ev.data, V_SNAPSHOT, 0, 0)
        ln.uncertain_from = None

    def flush(self, ev: Event, strong: bool) -> None:
        """a CPU flush of [off, off+len); one finding per event (decision:
        a range flush is redundant when none of its lines was dirty)"""
        assert ev.region is not None
        region = self.regions[ev.region]
        if region.domain not in ("adr", "cxl"):  # cxl runs as adr
            self.find(F_REDUNDANT if region.domain == "eadr"
                      else F_PAGECACHE, ev.site)
            return
        flushed_dirty = False
        for o in self.line_offs(region, ev.off, ev.len):
            ln = self.line_at(region, o)
            if ln.dirty:
                flushed_dirty = True
                self.issue(ln, ev.tid, ev.site, strong)
            elif ln.wbs:  # another write-back may still lack its fence
                self.issue(ln, ev.tid, ev.site, strong)
        if not flushed_dirty:
            self.find(F_REDUNDANT, ev.site)

    def ev_clwb(self, ev: Event) -> None:
        self.flush(ev, False)

    def ev_clflushopt(self, ev: Event) -> None:
        self.flush(ev, False)

    def ev_clflush(self, ev: Event) -> None:
        self.flush(ev, not self.clflush_weak)

    def ev_sfence(self, ev: Event) -> None:
        self.fence(ev.tid)

    ev_mfence = ev_sfence
    ev_locked = ev_sfence

    def write_back_all(self, region: Region, lines: list[Line],
                       tid: Optional[int]) -> None:
        """msync/fsync: a write-back of every line on tid, no finding"""
        if region.domain == "eadr":
            return
        for ln in lines:
            if ln.hist:
                self.issue(ln, tid, 0, False)

    def ev_msync(self, ev: Event) -> None:
        assert ev.region is not None
        region = self.regions[ev.region]
        start = ev.off - ev.off % fmt.PAGE
        end = -(-(ev.off + ev.len) // fmt.PAGE) * fmt.PAGE
        lines = [self.lines[(region.rid, o)]
                 for o in self.line_offs(region, start, end - start)
                 if (region.rid, o) in self.lines]
        self.write_back_all(region, lines, ev.tid)
        self.fence(ev.tid)

    def regions_of(self, rid: Optional[int]) -> list[Region]:
        if rid is None:
            return [self.regions[r] for r in sorted(self.regions)]
        return [self.regions[rid]]

    def ev_fsync(self, ev: Event) -> None:
        for region in self.regions_of(ev.region):
            self.write_back_all(region, self.touched_lines(region), ev.tid)
        self.fence(ev.tid)

    def ev_shutdown(self, ev: Event) -> None:
        for region in self.regions_of(ev.region):
            if ev.region is None:
                lines = self.touched_lines(region)
            else:
                lines = [self.lines[(region.rid, o)]
                         for o in self.line_offs(region, ev.off, ev.len)
                         if (region.rid, o) in self.lines]
            for ln in lines:
                self.shut_line(ln)

    def shut_line(self, ln: Line) -> None:
        if not ln.hist:
            return
        if ln.dirty:
            # decision: the site of the first store since the line's last
            # write-back (the store that lacks a flush); the count is every
            # store since the durable content
            stores = [v for v in ln.hist if v.how in STORE_KINDS]
            issued = max([w.seq for w in ln.wbs] + [ln.dseq])
            first = next((v for v in ln.hist
                          if v.how in STORE_KINDS and v.seq > issued), None)
            site = first.site if first else 0
            # decision: an untraced store's site is a guess (a page's
            # fault), counted apart from the same site exact
            key: tuple[Any, ...] = (F_UNPERSISTED, site)
            if first is not None and first.how == V_UNTRACED:
                key += ("guessed",)
            f = self.findings.setdefault(key, [0, []])
            f[0] += len(stores)
            f[1].append((ln.region, ln.off))
        for w in ln.wbs:
            if not w.pending:  # a strong clflush needs no fence (MODEL.md)
                self.find(F_NO_FENCE, w.site, ln)
        ln.complete(ln.dseq + len(ln.hist))
        ln.dirty = False
        ln.uncertain_from = None

    def ev_outside(self, ev: Event) -> None:
        self.find(F_OUTSIDE, ev.site)

    def ev_crash(self, ev: Event) -> None:
        pass  # the driver asks crash_report() itself

    # ---- crash outcomes ----
    def outcomes(self, ln: Line) -> dict[str, list[bytes]]:
        """{kind: [contents]} of an open line, docs/model.md's list"""
        hist = ln.hist
        wb_seqs = sorted({w.seq for w in ln.wbs})
        wb = [ln.version(s).content for s in wb_seqs if ln.version(s).known]
        evict = [v.content for v in hist if v.known]
        torn = self.torn_pieces(ln)
        return {"lost": [ln.d], "wb": wb, "evict": evict, "torn": torn}

    def poisonable(self, ln: Line) -> bool:
        """the poison outcome (strategy `poison`): a line left poisoned
        by a crash, where one of its in-flight write-backs has a known
        content (exactly the lines `inflight` offers an outcome for)"""
        return any(ln.version(w.seq).known for w in ln.wbs)

    def torn_pieces(self, ln: Line) -> list[bytes]:
        return [c for v, base, units, size in self.tearable(ln)
                for c in self.torn_of(v, base, units, size)]

    torn_sectors = torn_pieces

    def tearable(self, ln: Line) -> Iterator[
            tuple[Version, bytes, list[int], int]]:
        """(version, base, units, unit size) of every torn outcome family:
        adr/eadr, a traced or NT store changing the bytes of 2+ pieces,
        those pieces over the version before it; pagecache, every known version over D, by sector"""
        region = self.regions[ln.region]
        if region.domain == "pagecache":
            sector = self.sector
            for v in ln.hist:
                if not v.known:
                    continue
                differ = [i for i in range(region.line // sector)
                          if ln.d[i * sector:(i + 1) * sector]
                          != v.content[i * sector:(i + 1) * sector]]
                if len(differ) >= 2:
                    yield v, ln.d, differ, sector
            return
        prev_content, prev_known = ln.d, True
        for v in ln.hist:
            if v.how in (V_STORE, V_NT) and v.known and prev_known:
                # a piece that rewrites the bytes it holds tears nothing
                changed = [i for i in bits_of(v.pieces)
                           if prev_content[i * 8:i * 8 + 8]
                           != v.content[i * 8:i * 8 + 8]]
                if len(changed) >= 2:
                    yield v, prev_content, changed, 8
            prev_content, prev_known = v.content, v.known

    def torn_of(self, v: Version, base: bytes, units: list[int],
                size: int) -> list[bytes]:
        """torn contents of version v over base; a version's torn set only
        depends on them, so it is kept while base stays the same"""
        cached = v.torn_cache
        if cached is not None and cached[0] == base:
            return cached[1]
        out = combine(base, v.content, units, size)
        v.torn_cache = (base, out)
        return out


def bits_of(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def combine(old: bytes, new: bytes, units: list[int],
            size: int) -> list[bytes]:
    """old with every non-empty proper subset of units taken from new,
    in Gray-code order (one unit changes per step)"""
    out: list[bytes] = []
    t = len(units)
    full = (1 << t) - 1
    buf = bytearray(old)
    prev = 0
    for i in range(1, 1 << t):
        gray = i ^ (i >> 1)
        j = (gray ^ prev).bit_length() - 1
        a = units[j] * size
        buf[a:a + size] = (new if gray >> j & 1 else old)[a:a + size]
        prev = gray
        if gray != full:
            out.append(bytes(buf))
    return out


# ---- the report of docs/differential.md ----

def crash_images(ref: Reference, limit: int = 1 << 16) -> set[bytes]:
    """every crash image now, as bytes of the regions in id order: the
    exhaustive set the protocol hashes (small cases, unit tests)"""
    import itertools
    parts: list[list[bytes]] = []
    for rid in sorted(ref.regions):
        region = ref.regions[rid]
        for off in range(0, region.len, region.line):
            ln = ref.lines.get((rid, off))
            if ln is None:
                parts.append([fmt.pattern(rid, off, region.line)])
            elif not ln.hist:
                parts.append([ln.d])
            else:
                outs = ref.outcomes(ln)
                parts.append(sorted({c for cs in outs.values() for c in cs}))
    n = 1
    for p in parts:
        n *= len(p)
    if n > limit:
        raise ValueError("%d images" % n)
    return {b"".join(choice) for choice in itertools.product(*parts)}
