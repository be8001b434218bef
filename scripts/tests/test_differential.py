"""test_differential.py -- the C model and the Python reference agree on
the crash images of 10,000+ random event sequences (docs/differential.md),
and a model with a deliberate mistake does not.

Environment: PMEMU_ORACLE, PMEMU_ORACLE_MUTANT (set by ctest, see
emulator/tests/tests.cmake); PMEMU_DIFF_SEED, PMEMU_DIFF_COUNT,
PMEMU_DIFF_JOBS to vary the run.
"""
import os

import pytest

from pmemu_ref import diff, gen, report

SEED = int(os.environ.get("PMEMU_DIFF_SEED", "1"))
COUNT = int(os.environ.get("PMEMU_DIFF_COUNT", "10000"))
JOBS = int(os.environ.get("PMEMU_DIFF_JOBS", "2"))


def oracle_path(var):
    path = os.environ.get(var)
    if not path or not os.path.exists(path):
        pytest.fail("%s is not set to a built oracle (run through ctest)"
                    % var)
    return path


@pytest.fixture(scope="module")
def run():
    oracle = oracle_path("PMEMU_ORACLE")
    return oracle, diff.compare_all(oracle, SEED, COUNT, JOBS)


def describe(oracle, res, per_category=1, categories=4):
    text = ["%d of %d sequences differ (seed %d):" % (
        len(res.mismatches), res.count, SEED)]
    for cat, names in sorted(res.categories.items()):
        text.append("  %-28s %d sequences, e.g. %s" % (cat, len(names),
                                                      names[0]))
    for cat, names in sorted(res.categories.items())[:categories]:
        smallest = sorted(names, key=lambda n: len(
            gen.generate(*diff.name_to_index(n)).steps))
        for name in smallest[:per_category]:
            text.append("== smallest of %s" % cat)
            text.append(diff.explain(oracle, name))
    return "\n".join(text)


def test_generator_covers_the_brief():
    """every event kind, domain, width and thread count is generated"""
    kinds, domains, widths, threads = set(), set(), set(), set()
    for i in range(2000):
        seq = gen.generate(SEED, i)
        domains.update(d for _, _, d in seq.regions)
        domains.add(seq.cfg["clflush"])
        for s in seq.steps:
            kinds.add(s.kind)
            if s.kind in ("store", "untraced"):
                widths.add(s.len)
            if s.tid is not None:
                threads.add(s.tid)
        kinds.update(l.split()[0] for l in gen.render(seq)[1:-1])
    assert COUNT >= 10000 or "PMEMU_DIFF_COUNT" in os.environ
    for k in ("store", "untraced", "nt", "movdir64b", "snapshot", "clwb",
              "clflushopt", "clflush", "sfence", "mfence", "locked",
              "msync", "fsync", "shutdown", "outside", "crash"):
        assert k in kinds
    assert {"adr", "eadr", "pagecache", "cxl", "weak", "strong"} <= domains
    assert {1, 2, 4, 8, 16, 32, 64} <= widths
    assert threads == {0, 1, 2, 3}


def test_generator_covers_wide_stores_over_equal_bytes():
    """wide traced stores whose bytes the memory already holds, wholly
    (zeros over zeros) or but in a few pieces (docs/model.md: a piece that
    rewrites equal bytes tears nothing)"""
    whole, partly, wide = 0, 0, set()
    for i in range(2000):
        for s in gen.generate(SEED, i).steps:
            if s.kind != "rewrite":
                continue
            wide.add(s.len)
            changed = s.data[1]
            whole += not changed
            partly += 0 < len(changed) < s.len // 8
    assert whole > 100 and partly > 100
    assert {16, 64, 328, 4096} <= wide


def test_generator_is_deterministic():
    a = gen.render(gen.generate(SEED, 17))
    b = gen.render(gen.generate(SEED, 17))
    assert a == b


def test_models_agree(run):
    oracle, res = run
    assert res.count == COUNT
    assert not res.mismatches, describe(oracle, res)


def test_oracle_api_consistent(run):
    """model.h's own promises, checked by the oracle on every crash point
    (model_for_each_durable lists exactly the changed lines, LOST comes
    first and is the durable content, every outcome has a content)"""
    _, res = run
    bad = sorted(res.checks.items())
    assert not bad, "%d sequences break model.h promises, e.g. %s: %s" % (
        len(bad), bad[0][0], "; ".join(bad[0][1][:6]))


def mutation_predicate(mutant, oracle):
    """still(seq)(steps): the mutant differs from the reference on steps
    while the real model agrees (so the mutation, not another bug, is
    what the test caught)"""
    def still(seq):
        def on(steps):
            if diff.outcome(mutant, seq, steps) is None:
                return None
            return None if diff.outcome(oracle, seq, steps) else "caught"
        return on
    return still


def test_mutant_is_caught():
    """a fence that completes every thread's write-backs
    (-DPMEMU_MODEL_MUTANT=1) must make the differential test fail, on a
    sequence where the real model passes"""
    mutant = oracle_path("PMEMU_ORACLE_MUTANT")
    oracle = oracle_path("PMEMU_ORACLE")
    step = 1000
    for lo in range(0, COUNT, step):
        res = diff.compare_batch((mutant, SEED, lo, min(COUNT, lo + step)))
        still = mutation_predicate(mutant, oracle)
        for name in res.mismatches:
            seq = gen.generate(*diff.name_to_index(name))
            if still(seq)(seq.steps):
                print("the mutant is caught by sequence %s:" % name)
                print(diff.explain(mutant, name, still))
                return
    pytest.fail("the mutant model passed %d sequences: the differential "
                "test has no teeth (is PMEMU_MODEL_MUTANT wired in "
                "emulator/model/model.c?)" % COUNT)


def test_reference_reports_every_crash_point():
    seq = gen.generate(SEED, 3)
    lines = gen.render(seq)
    out = report.run_sequence(seq.name, lines[1:-1])
    crashes = sum(1 for l in lines if l == "crash")
    assert sum(1 for l in out if l.startswith("crash ")) == crashes
