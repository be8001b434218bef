"""pmemu -- drive the pmemu persistent-memory emulator from Python.

    import pmemu
    rep = pmemu.explore(["./log", "/mnt/pmem/log"], check="./log-check {pmem}",
                        strategy="all", jobs=2)
    assert rep.passed, rep.explain()

The pytest plugin is pmemu.pytest_plugin, loaded by its pytest11 entry point
once the package is installed (`pip install ./scripts`), or with
`pytest -p pmemu.pytest_plugin` from a checkout;
`python3 -m pmemu ...` runs the pmemu command itself. See docs/guide.md.
"""
from .api import *  # noqa: F401,F403
from .api import __all__  # noqa: F401

__version__ = "0.1.0"
