"""check_gpf.py MODE IMAGE -- the recovery of progs/assume_eadr.c's pool
on CXL memory, which relies on Global Persistent Flush instead of flushes.
MODE "trusting" reads the pool whatever happened; "counting" first asks
whether the device's dirty shutdown count moved (PMEMU_DIRTY_SHUTDOWN=1:
GPF failed) and then discards the pool, as a program that relies on GPF
must. A kept pool must hold its record whole (flag set => data 42)."""
import os
import struct
import sys


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "counting" and os.environ.get("PMEMU_DIRTY_SHUTDOWN") == "1":
        sys.exit(0)             # recovery: the pool is discarded
    b = open(path, "rb").read()
    data, = struct.unpack_from("<Q", b, 0)
    flag, = struct.unpack_from("<Q", b, 64)
    ok = flag == 0 or data == 42
    if not ok:
        print("flag set, data lost (dirty shutdown: %s)" %
              os.environ.get("PMEMU_DIRTY_SHUTDOWN"))
    sys.exit(0 if ok else 1)


main()
