"""check_pool.py MODE IMAGE -- consistency checks of the progs' pools."""
import struct
import sys


def main():
    mode, path = sys.argv[1], sys.argv[2]
    b = open(path, "rb").read()
    if mode == "commit":        # flag set => data there
        data, = struct.unpack_from("<Q", b, 0)
        flag, = struct.unpack_from("<Q", b, 64)
        ok = flag == 0 or data == 42
    elif mode == "one":         # flag (same line) set => data there
        data, flag = struct.unpack_from("<QQ", b, 0)
        ok = flag == 0 or data == 42
    elif mode == "two":
        data, = struct.unpack_from("<Q", b, 0)
        flag, = struct.unpack_from("<Q", b, 64)
        ok = flag == 0 or data == 42
    elif mode == "wide":        # both fields old or both new
        off, ln = struct.unpack_from("<QQ", b, 0)
        ok = (off, ln) in ((0, 0), (1024, 77))
    elif mode == "ptr":
        ptr, = struct.unpack_from("<Q", b, 64)
        ok = ptr == 0 or struct.unpack_from("<QQ", b, ptr) == (1024, 77)
    else:
        sys.exit(2)
    if not ok:
        print("inconsistent %s image" % mode)
    sys.exit(0 if ok else 1)


main()
