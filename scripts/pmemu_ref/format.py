"""format.py -- the differential protocol (docs/differential.md): event
lines, the initial media pattern, line and image hashes, report lines.

Both the Python reference and the C oracle (emulator/tests/model_oracle.c)
implement this page; keep them in step with docs/differential.md.
"""
import struct
import zlib
from typing import Any, Callable, Iterable, Iterator, Optional

MASK64 = (1 << 64) - 1
PAGE = 4096

DOMAINS = ("adr", "eadr", "pagecache", "cxl")
FLUSH_KINDS = ("clwb", "clflushopt", "clflush")
FENCE_KINDS = ("sfence", "mfence", "locked")
FINDING_CLASSES = ("unpersisted", "no-fence", "redundant", "outside",
                   "pagecache-flush")
IMAGE_SET_MAX = 4096


def mix64(z: int) -> int:
    """splitmix64's finaliser: a bijective 64-bit mixer"""
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


_POS_KEYS: dict[tuple[int, int], int] = {}


def line_hash(region: int, off: int, content: bytes,
              _crc: Callable[[bytes], int] = zlib.crc32,
              _adler: Callable[[bytes], int] = zlib.adler32) -> int:
    """hash of one line of an image: its place and its bytes"""
    key = (region, off)
    pos = _POS_KEYS.get(key)
    if pos is None:
        pos = mix64(((region + 1) << 40) ^ off)
        _POS_KEYS[key] = pos
    z = ((_crc(content) << 32) | _adler(content)) ^ pos
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def set_digest(hashes: Iterable[int]) -> int:
    """digest of a set of 64-bit hashes: of their sorted little-endian
    bytes, as a line's content is hashed"""
    ordered = sorted(hashes)
    packed = struct.pack("<%dQ" % len(ordered), *ordered)
    return mix64((zlib.crc32(packed) << 32) | zlib.adler32(packed))


_PATTERN_TILES: dict[int, bytes] = {}


def poison_content(n: int) -> bytes:
    """the bytes of a poisoned line of n bytes (its content is not
    defined; both models give this one): byte i is (0xa5 ^ i*29) & 0xff"""
    return bytes((0xA5 ^ (i * 29)) & 0xFF for i in range(n))


POISON_BIT = 1 << 63  # a poisoned line hashes at off ^ POISON_BIT


def pattern(region: int, off: int, n: int) -> bytes:
    """initial media: byte i of region r is (r*131 + i*7 + 1) & 0xff"""
    tile = _PATTERN_TILES.get(region)
    if tile is None:
        one = bytes(((region * 131 + i * 7 + 1) & 0xFF) for i in range(256))
        tile = one * (PAGE // 256 + 2)
        _PATTERN_TILES[region] = tile
    start = off % 256
    if start + n <= len(tile):
        return tile[start:start + n]
    reps = (start + n) // len(tile) + 1
    return (tile * reps)[start:start + n]


def hx(x: int) -> str:
    return "%016x" % (x & MASK64)


def parse_int(s: str) -> int:
    return int(s, 0)


class Event:
    """one parsed event line; fields unused by a kind stay None"""
    __slots__ = ("kind", "tid", "site", "region", "off", "len", "data")

    def __init__(self, kind: str, tid: Optional[int] = None, site: int = 0,
                 region: Optional[int] = None, off: int = 0, len: int = 0,
                 data: Any = None) -> None:
        self.kind = kind
        self.tid = tid
        self.site = site
        self.region = region
        self.off = off
        self.len = len
        # the bytes (None: unknown); gen.py's rewrite steps carry
        # (bytes, changed pieces) until rendered
        self.data = data


def parse_region_arg(s: str) -> Optional[int]:
    return None if s == "all" else parse_int(s)


def parse_event(line: str) -> Optional[Event]:
    """parse one event line (not config/region/seq/end); None if blank"""
    f = line.split()
    if not f:
        return None
    k = f[0]
    if k == "store":
        data = None if f[6] == "-" else bytes.fromhex(f[6])
        return Event(k, int(f[1]), int(f[2]), int(f[3]), parse_int(f[4]),
                     parse_int(f[5]), data)
    if k == "nt":
        return Event(k, int(f[1]), int(f[2]), int(f[3]), parse_int(f[4]),
                     parse_int(f[5]), bytes.fromhex(f[6]))
    if k == "movdir64b":
        return Event(k, int(f[1]), int(f[2]), int(f[3]), parse_int(f[4]), 64,
                     bytes.fromhex(f[5]))
    if k == "snapshot":
        data = bytes.fromhex(f[4])
        return Event(k, int(f[1]), 0, int(f[2]), parse_int(f[3]), len(data),
                     data)
    if k in FLUSH_KINDS:
        return Event(k, int(f[1]), int(f[2]), int(f[3]), parse_int(f[4]),
                     parse_int(f[5]))
    if k in FENCE_KINDS:
        return Event(k, int(f[1]))
    if k == "msync":
        return Event(k, int(f[1]), 0, int(f[2]), parse_int(f[3]),
                     parse_int(f[4]))
    if k == "fsync":
        return Event(k, int(f[1]), 0, parse_region_arg(f[2]))
    if k == "shutdown":
        if f[1] == "all":
            return Event(k, None, 0, None)
        return Event(k, None, 0, int(f[1]), parse_int(f[2]), parse_int(f[3]))
    if k == "outside":
        return Event(k, int(f[1]), int(f[2]), None, parse_int(f[3]),
                     parse_int(f[4]))
    if k == "crash":
        return Event(k)
    raise ValueError("unknown event line: %r" % line)


def parse_config(line: str) -> dict[str, Any]:
    cfg: dict[str, Any] = {"domain": "adr", "line": 64, "sector": 512,
                           "clflush": "strong"}
    for kv in line.split()[1:]:
        key, _, val = kv.partition("=")
        if key not in cfg:
            raise ValueError("unknown config key: %r" % kv)
        cfg[key] = int(val) if key in ("line", "sector") else val
    return cfg


def split_sequences(text: str) -> Iterator[tuple[str, list[str]]]:
    """yield (name, [lines]) for each `seq NAME` ... `end` block"""
    name: Optional[str] = None
    body: Optional[list[str]] = None
    for line in text.splitlines():
        if line.startswith("seq "):
            name, body = line[4:].strip(), []
        elif line.strip() == "end":
            if name is not None and body is not None:
                yield name, body
            name, body = None, None
        elif body is not None and line.strip() and not line.startswith("#"):
            body.append(line)
