"""test_store_log_window.py -- the store log's window given to the model
in one call at its owner's fence (shim_window.c, docs/performance.md).

progs/store_log_window.c runs the raw loop (a line stored, flushed, a
fence every 8 lines) with a bug planted in one line of one window: a
store after the line's flush, a line never flushed, flushes with no
fence, and lines stored twice or dirty from an earlier window, a page
opened by memset before the fence. Each mode's findings and the media it
leaves must be the ones the shim gives with each store emitted at once
(PMEMU_STORE_LOG=0); killed at the end (MODE-kill), the pool file holds
what was durable: the lines' copies the window wrote to the media.
"""
import pytest

from conftest import SOURCE
from test_store_log import plugin_build, pmemu

PROG = SOURCE / "scripts" / "tests" / "progs" / "store_log_window.c"
# mode: what the report must say (None: nothing to report)
MODES = {
    "ok": None,
    "after-flush": "unpersisted stores: 1 store from 1 site",
    "no-flush": "1 line, first at pool+0x2c0",
    "no-fence": "missing fence: 8 flushes from 1 site",
    "again": None,
    "opened": "unpersisted stores",
    "after": "unpersisted stores: 1 store from 1 site",
}


@pytest.fixture(scope="module")
def prog(tmp_path_factory, cc):
    return plugin_build(cc, PROG, tmp_path_factory.mktemp("window") /
                        "store_log_window", opt="-O2")


@pytest.mark.parametrize("mode", sorted(MODES))
def test_window_findings_same_with_and_without_log(pmemu_bin, tmp_path, prog,
                                                   mode):
    got = {}
    for log in ("1", "0"):
        res = pmemu(pmemu_bin, tmp_path, prog, mode, log, "run")
        assert res.returncode == 0, res.stderr
        got[log] = (res.stderr, (tmp_path / "pm" / "pool").read_bytes())
    assert got["1"] == got["0"]
    text = got["1"][0]
    want = MODES[mode]
    if want is None:
        assert text == "pmemu: no findings\n", text
    else:
        assert want in text, text
    if mode == "after":
        assert "redundant flush: 1 flush" in text, text


@pytest.mark.parametrize("mode", ["ok", "after-flush", "no-fence", "again"])
def test_window_media_same_with_and_without_log(pmemu_bin, tmp_path, prog,
                                                mode):
    """SIGKILLed after the passes: the same durable bytes, which hold the
    last pass where it was persisted"""
    got = {}
    for log in ("1", "0"):
        res = pmemu(pmemu_bin, tmp_path, prog, f"{mode}-kill", log, "run")
        assert res.returncode != 0, res.stderr
        got[log] = (tmp_path / "pm" / "pool").read_bytes()
    assert got["1"] == got["0"]
    word = int.from_bytes(got["1"][8:16], "little")
    assert word == 2 * 1000 + 1, word  # line 0, word 1 of the last pass
