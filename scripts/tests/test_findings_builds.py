"""test_findings_builds.py -- a program built with the pmemu GCC plugin
and the same program built without it get the same findings from
`pmemu run` (docs/model.md, "Value-restoring stores";
docs/report-format.md). Cases: progs/findings_cases.c.
"""
import re

import pytest

from test_findings_report import (BUILDS, cases, line_of,  # noqa: F401
                                  report, run_case, source_lines)


def classes(text):
    return re.findall(r"^pmemu: ([a-z ]+[a-z]):", text, re.M)


@pytest.mark.parametrize("kind", BUILDS)
def test_lock_word_restored_is_no_finding(pmemu_bin, tmp_path, cases, kind):
    """0 -> 1 -> 0, never flushed: a crash at the end leaves what the
    program sees; the 1 in between is explore's to judge"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "lock")
    assert report(res) == "pmemu: no findings", res.stderr


@pytest.mark.parametrize("kind", BUILDS)
def test_restored_line_with_write_back_in_flight_is_reported(
        pmemu_bin, tmp_path, cases, kind):
    """0 -> 1, flushed, never fenced, -> 0: the 1 may still reach the
    media, so the restore is no excuse: both findings, in both builds"""
    if kind not in cases:
        pytest.skip("plugin not built")
    res = run_case(pmemu_bin, tmp_path, cases[kind], "relock")
    text = report(res)
    assert classes(text) == ["unpersisted stores", "missing fence"], text
    assert "first at pool+0x100" in text, text
    assert line_of("RELOCK_FLUSH") in source_lines(text), text
