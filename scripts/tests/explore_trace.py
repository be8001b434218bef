"""explore_trace.py -- hand-written pmemu traces for the explorer's tests.

Writes the trace format of docs/trace-format.md directly (standard library
only), so a test states its events one by one and knows the answer.
"""
import struct

TRACE_SEAL = 0x5245434D
EV = {"store": 1, "nt-store": 2, "movdir64b": 3, "snapshot": 4, "clwb": 5,
      "clflushopt": 6, "clflush": 7, "sfence": 8, "mfence": 9, "locked": 10,
      "msync": 11, "fsync": 12, "shutdown": 13}
REC_REGION, REC_MARKER, REC_SITE_SRC, REC_END = 32, 34, 36, 40


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Trace:
    """Records in order; write(path) produces the file."""

    def __init__(self, line=64, domain=0, program="test"):
        self.line = line
        self.domain = domain
        self.program = program
        self.records = []

    def _rec(self, rtype, body, tid=1, site=0, flags=0):
        self.records.append((rtype, flags, tid, site, bytes(body)))
        return len(self.records) - 1

    def region(self, path, length, region=0, domain=0):
        body = struct.pack("<IIQII", region, domain, length, self.line, 0)
        return self._rec(REC_REGION, body + path.encode() + b"\0")

    def event(self, kind, off=0, length=0, data=None, region=0, tid=1,
              site=0):
        body = struct.pack("<IIQQ", region, 0, off, length)
        flags = 0
        if data is not None:
            assert len(data) == length
            body += bytes(data)
            flags = 1
        return self._rec(EV[kind], body, tid=tid, site=site, flags=flags)

    def store(self, off, data, region=0, tid=1, site=0):
        return self.event("store", off, len(data), data, region, tid, site)

    def clwb(self, off, length=64, region=0, tid=1, site=0):
        return self.event("clwb", off, length, None, region, tid, site)

    def sfence(self, tid=1, site=0):
        return self.event("sfence", tid=tid, site=site)

    def marker(self, name, site=0):
        return self._rec(REC_MARKER, name.encode() + b"\0", site=site)

    def site_src(self, site, file, func, line):
        body = struct.pack("<II", site, line) + file.encode() + b"\0" + \
            func.encode() + b"\0"
        return self._rec(REC_SITE_SRC, body)

    def end(self, status=0):
        return self._rec(REC_END, struct.pack("<iI", status, 0))

    def encode(self):
        out = bytearray()
        for rtype, flags, tid, site, body in self.records:
            length = 24 + len(body)
            length = (length + 7) & ~7
            rec = bytearray(struct.pack("<IHHIIII", length, rtype, flags,
                                        tid, site, 0, 0))
            rec += body
            rec += b"\0" * (length - len(rec))
            crc = crc32c(bytes(rec))
            struct.pack_into("<II", rec, 16, crc, TRACE_SEAL)
            out += rec
        header = bytearray(128)
        struct.pack_into("<8sIIIIII", header, 0, b"PMEMUTRC", 1, 128,
                         self.domain, self.line, 512, 0)
        struct.pack_into("<QQI", header, 32, 128 + len(out), 0, 1)
        name = self.program.encode()[:79]
        header[56:56 + len(name)] = name
        return bytes(header) + bytes(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.encode())
        return path
