"""test_tx_undone.py -- a fence sees every store, also in a transaction.

progs/tx_undone.c keeps the root object's page hot (writable, compared
with its twin at each fence: docs/shim.md) with 200 transactions; the
last one stores to a field it never adds, persists a TX_ADD's undo log
entry (a fence) and stores the field's old value back. The fence must
see the store: a crash after it may find the value durable, and the
undo log cannot restore it. A compare deferred past that fence (the
experiment of docs/performance.md, "A hot page's compare deferred")
finds the field as it was and reports nothing: a missed bug.
"""
import pytest

from test_findings_report import (BUILDS, PROGS, build_both, report,
                                  run_case)

SRC = PROGS / "tx_undone.c"
OUTSIDE = "store outside its transaction"


@pytest.fixture(scope="module")
def progs(tmp_path_factory, cc):
    return build_both(tmp_path_factory.mktemp("undone"), cc, SRC,
                      "-lpmemobj")


@pytest.mark.parametrize("mode", ["undone", "correct"])
@pytest.mark.parametrize("kind", BUILDS)
def test_undone_store_is_reported_and_only_it(pmemu_bin, tmp_path, progs,
                                              kind, mode):
    """undone: a store outside its transaction; correct: no finding"""
    if kind not in progs:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, progs[kind], mode,
                   "--error-exitcode=3")
    text = report(res)
    if mode == "undone":
        assert res.returncode == 3 and f"pmemu: {OUTSIDE}:" in text, text
    else:
        assert res.returncode == 0 and text == "pmemu: no findings", text
