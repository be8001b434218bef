"""python3 -m pmemu ... -- the pmemu command, for people who live in Python.

Execs the pmemu binary ($PMEMU, or the build next to this package, or the
one on PATH) with the same arguments, so exit codes and output are its own.
"""
import os
import sys

from .api import PmemuError, find_pmemu


def main(argv: list[str]) -> int:
    try:
        binary = find_pmemu()
    except PmemuError as e:
        print(f"pmemu: error: {e}", file=sys.stderr)
        return 2
    os.execv(binary, [binary, *argv])
    return 2  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
