"""test_explore_traces.py -- pmemu explore/replay/merge on hand-written
traces with known answers (docs/explore.md)."""
import itertools
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from explore_trace import Trace  # noqa: E402

PMEMU = os.environ.get("PMEMU", "pmemu")


def pmemu(*args, **kw):
    return subprocess.run([PMEMU, *map(str, args)], capture_output=True,
                          text=True, **kw)


def media(tmp_path, name="pool.img", size=4096):
    path = tmp_path / name
    path.write_bytes(b"\0" * size)
    return str(path)


def three_lines(tmp_path):
    """3 lines stored and flushed, one fence: 3 write-backs in flight."""
    t = Trace()
    t.region(media(tmp_path), 4096)
    for i in range(3):
        t.store(i * 64, bytes([i + 1]) * 8, site=10 + i)
        t.clwb(i * 64, site=20 + i)
    t.sfence(site=30)
    t.end()
    return t.write(tmp_path / "three.trace")


def commit_record(tmp_path, right_order):
    """data (line 0) and its valid flag (line 1)."""
    t = Trace()
    t.region(media(tmp_path), 4096)
    t.site_src(1, "commit.c", "write_data", 10)
    t.site_src(2, "commit.c", "write_flag", 20)
    t.site_src(3, "commit.c", "persist", 30)
    if right_order:
        t.store(0, b"DATADATA", site=1)
        t.clwb(0, site=3)
        t.sfence(site=3)
        t.store(64, b"\x01" + b"\0" * 7, site=2)
        t.clwb(64, site=3)
        t.sfence(site=3)
    else:
        t.store(0, b"DATADATA", site=1)
        t.store(64, b"\x01" + b"\0" * 7, site=2)
        t.clwb(64, site=3)
        t.sfence(site=3)
        t.clwb(0, site=3)
        t.sfence(site=3)
    t.end()
    return t.write(tmp_path / "commit.trace")


CHECK_COMMIT = ("python3 -c \"import sys; b=open(sys.argv[1],'rb').read(); "
                "sys.exit(0 if b[64]==0 or b[0:8]==b'DATADATA' else 1)\" "
                "{pmem}")


def copy_check(out):
    return "cp {pmem} %s/\"$PMEMU_STATE\"" % out


def test_inflight_three_lines_gives_eight_images(tmp_path):
    out = tmp_path / "images"
    out.mkdir()
    trace = three_lines(tmp_path)
    r = pmemu("explore", "--explore", "eager", "--trace", trace,
              "--strategy", "inflight", "--check", copy_check(out),
              "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["counts"]["images"] == 8
    assert rep["counts"]["states"] == 9  # 8 before the fence, 1 at exit
    images = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(images) == 8
    expected = set()
    for n in range(4):
        for subset in itertools.combinations(range(3), n):
            img = bytearray(4096)
            for i in subset:
                img[i * 64:i * 64 + 8] = bytes([i + 1]) * 8
            expected.add(bytes(img))
    assert set(images.values()) == expected
    # the ids say which write-backs completed
    assert images["7"] == bytes(4096)
    assert images["7:0.0=w1,0.80=w1"][0] == 1
    assert images["7:0.0=w1,0.80=w1"][64] == 0
    assert images["7:0.0=w1,0.80=w1"][128] == 3


def test_pessimistic_is_one_state_per_point(tmp_path):
    trace = three_lines(tmp_path)
    r = pmemu("explore", "--trace", trace, "--check", "true {pmem}",
              "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["counts"]["points"] == 2
    assert rep["counts"]["states"] == 2
    assert rep["options"]["strategy"] == ["pessimistic"]


def two_stores_one_line(tmp_path):
    t = Trace()
    t.region(media(tmp_path), 4096)
    t.store(0, b"\x11" * 16)   # a 16-byte store: two 8-byte pieces
    t.store(64, b"\x22" * 8)
    t.store(72, b"\x33" * 8)
    t.sfence()
    t.end()
    return t.write(tmp_path / "evict.trace")


def run_images(tmp_path, trace, strategy):
    out = tmp_path / ("img-" + strategy)
    out.mkdir()
    r = pmemu("explore", "--trace", trace, "--strategy", strategy,
              "--check", copy_check(out))
    assert r.returncode == 0, r.stderr
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_eviction_keeps_store_order_within_a_line(tmp_path):
    images = run_images(tmp_path, two_stores_one_line(tmp_path), "eviction")
    line1 = {img[64:80] for img in images.values()}
    # prefixes of the line's stores only: never 0x33 without 0x22
    assert line1 == {b"\0" * 16, b"\x22" * 8 + b"\0" * 8,
                     b"\x22" * 8 + b"\x33" * 8}
    assert len(images) == 6


def test_torn_splits_a_wide_store_into_pieces(tmp_path):
    images = run_images(tmp_path, two_stores_one_line(tmp_path), "torn")
    line0 = {img[0:16] for img in images.values()}
    assert b"\x11" * 8 + b"\0" * 8 in line0
    assert b"\0" * 8 + b"\x11" * 8 in line0
    assert set(images) == {"4", "4:0.0=t1.1", "4:0.0=t1.2"}


def test_wrong_order_fails_with_minimal_explanation(tmp_path):
    trace = commit_record(tmp_path, right_order=False)
    r = pmemu("explore", "--trace", trace, "--check", CHECK_COMMIT,
              "--json", tmp_path / "r.json")
    assert r.returncode == 1, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["verdict"] == "fail"
    first = rep["first_failure"]
    assert first["point"]["event"] == "sfence"
    expl = first["explanation"]
    assert expl["status"] == "minimal"
    assert len(expl["lines"]) == 1
    line = expl["lines"][0]
    assert line["off"] == "0x0"
    assert line["reason"] == "flushed-no-fence"
    assert line["store_site"]["frames"][0]["function"] == "write_data"
    assert "minimal explanation" in r.stdout
    assert "write_data (commit.c:10)" in r.stdout


@pytest.mark.parametrize("strategy", ["pessimistic", "inflight", "eviction",
                                      "torn", "all"])
def test_right_order_passes_every_strategy(tmp_path, strategy):
    trace = commit_record(tmp_path, right_order=True)
    r = pmemu("explore", "--trace", trace, "--strategy", strategy,
              "--check", CHECK_COMMIT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS" in r.stdout


def test_never_flushed_line_is_named(tmp_path):
    t = Trace()
    t.region(media(tmp_path), 4096)
    t.store(0, b"DATADATA", site=1)          # never flushed
    t.store(64, b"\x01" + b"\0" * 7, site=2)
    t.clwb(64, site=3)
    t.sfence(site=3)
    t.end()
    trace = t.write(tmp_path / "nf.trace")
    r = pmemu("explore", "--trace", trace, "--check", CHECK_COMMIT,
              "--json", tmp_path / "r.json")
    assert r.returncode == 1
    rep = json.loads((tmp_path / "r.json").read_text())
    lines = rep["first_failure"]["explanation"]["lines"]
    assert [(x["off"], x["reason"]) for x in lines] == [("0x0",
                                                        "never-flushed")]
    assert lines[0]["flush_site"] is None


def test_shards_merge_to_the_unsharded_report(tmp_path):
    trace = three_lines(tmp_path)
    check = ("python3 -c \"import sys; b=open(sys.argv[1],'rb').read(); "
             "sys.exit(1 if b[64] else 0)\" {pmem}")
    full = tmp_path / "full.json"
    r = pmemu("explore", "--explore", "eager", "--trace", trace,
              "--strategy", "inflight", "--check", check, "--json", full)
    assert r.returncode == 1
    shards = []
    for k in (1, 2, 3):
        path = tmp_path / ("s%d.json" % k)
        r = pmemu("explore", "--explore", "eager", "--trace", trace,
                  "--strategy", "inflight", "--check", check, "--shard",
                  "%d/3" % k, "--json", path)
        assert r.returncode in (0, 1), r.stderr
        shards.append(path)
    merged = tmp_path / "merged.json"
    r = pmemu("merge", "-o", merged, *shards)
    assert r.returncode == 1, r.stderr
    a = json.loads(full.read_text())
    b = json.loads(merged.read_text())
    for key in ("verdict", "exit_code", "counts", "points_failing",
                "failures", "first_failure"):
        assert a[key] == b[key], key
    assert len(b["shards"]) == 3


def test_merge_rejects_other_runs(tmp_path):
    trace = three_lines(tmp_path)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    pmemu("explore", "--trace", trace, "--check", "true {pmem}", "--shard", "1/2",
          "--json", a)
    pmemu("explore", "--trace", trace, "--check", "false {pmem}", "--shard", "2/2",
          "--json", b)
    r = pmemu("merge", a, b)
    assert r.returncode == 2
    assert r.stderr.startswith("pmemu: error: merge:")


def test_replay_reproduces_the_failing_image(tmp_path):
    trace = commit_record(tmp_path, right_order=False)
    seen = tmp_path / "seen"
    seen.mkdir()
    check = "cp {pmem} %s/\"$PMEMU_STATE\"; %s" % (seen, CHECK_COMMIT)
    r = pmemu("explore", "--trace", trace, "--check", check,
              "--no-explain", "--json", tmp_path / "r.json")
    assert r.returncode == 1
    state = json.loads((tmp_path / "r.json").read_text())[
        "first_failure"]["state"]
    out = tmp_path / "replayed"
    r = pmemu("replay", "--trace", trace, "--state", state, "-o", out)
    assert r.returncode == 0, r.stderr
    img = (out / "pool.img").read_bytes()
    assert img == (seen / state).read_bytes()
    assert img[64] == 1 and img[0:8] != b"DATADATA"


def test_replay_rejects_a_state_the_model_does_not_offer(tmp_path):
    trace = three_lines(tmp_path)
    r = pmemu("replay", "--trace", trace, "--state", "7:0.0=w2", "-o",
              tmp_path / "o")
    assert r.returncode == 2
    assert r.stderr.startswith("pmemu: error:")


def test_check_timeout_is_a_failure_not_a_hang(tmp_path):
    trace = three_lines(tmp_path)
    r = pmemu("explore", "--trace", trace, "--check", "sleep 60 # {pmem}",
              "--timeout", "0.3", "--no-explain", "--json",
              tmp_path / "r.json")
    assert r.returncode == 1
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["first_failure"]["result"]["kind"] == "timeout"
    assert rep["counts"]["timeouts"] == rep["counts"]["images"]
    assert "timed out" in r.stdout


def test_check_segfault_is_reported(tmp_path):
    trace = three_lines(tmp_path)
    r = pmemu("explore", "--trace", trace, "--check", "kill -SEGV $$ {pmem}",
              "--no-explain", "--json", tmp_path / "r.json")
    assert r.returncode == 1
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["first_failure"]["result"] == {"kind": "signal",
                                              "code": None, "signal": 11}
    assert rep["counts"]["crashes"] >= 1


def test_markers_reach_the_check(tmp_path):
    t = Trace()
    t.region(media(tmp_path), 4096)
    t.marker("begin")
    t.store(0, b"x" * 8)
    t.clwb(0)
    t.sfence()
    t.marker("after-insert-5")
    t.end()
    trace = t.write(tmp_path / "m.trace")
    log = tmp_path / "log"
    r = pmemu("explore", "--trace", trace, "--check",
              "echo \"$PMEMU_STATE $PMEMU_MARKERS\" >> %s # {pmem}" % log,
              "--jobs", "1")
    assert r.returncode == 0, r.stderr
    lines = sorted(log.read_text().split("\n"))
    assert "2 begin" in lines
    assert "6 begin,after-insert-5" in lines
    r = pmemu("explore", "--trace", trace, "--check", "true {pmem}", "--from",
              "after-insert-5", "--json", tmp_path / "r.json")
    # the marker and the exit right after it are one crash point
    assert json.loads((tmp_path / "r.json").read_text())[
        "counts"]["points"] == 1


def test_unique_stack_folds_points_of_one_site(tmp_path):
    t = Trace()
    t.region(media(tmp_path), 1 << 16)
    for i in range(50):
        t.store(i * 64, b"y" * 8, site=1)
        t.clwb(i * 64, site=2)
        t.sfence(site=3)
    t.end()
    trace = t.write(tmp_path / "u.trace")
    r = pmemu("explore", "--trace", trace, "--check", "true {pmem}",
              "--crash-points", "unique-stack", "--json", tmp_path / "r.json")
    assert r.returncode == 0
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["counts"]["points_total"] == 51
    assert rep["counts"]["points"] == 2
    assert rep["options"]["crash_points"] == "unique-stack"
    r = pmemu("explore", "--trace", trace, "--check", "true {pmem}",
              "--max-points", "10", "--json", tmp_path / "r2.json")
    rep = json.loads((tmp_path / "r2.json").read_text())
    assert rep["counts"]["points"] == 2  # folded by default above the cap


def build_so(tmp_path, body):
    src = tmp_path / "check.c"
    src.write_text("#include <stdio.h>\n#include <signal.h>\n#include <unistd.h>\n"
                   "int check(const char *image) {\n" + body + "\n}\n")
    so = tmp_path / "check.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src], check=True)
    return so


SO_COMMIT = """
    FILE *f = fopen(image, "rb"); unsigned char b[128];
    if (!f || fread(b, 1, 128, f) != 128) return 2;
    fclose(f);
    return b[64] == 0 || __builtin_memcmp(b, "DATADATA", 8) == 0 ? 0 : 1;
"""


@pytest.mark.parametrize("inproc", [False, True])
def test_check_so_finds_the_bug(tmp_path, inproc):
    so = build_so(tmp_path, SO_COMMIT)
    for right, want in ((False, 1), (True, 0)):
        trace = commit_record(tmp_path, right_order=right)
        args = ["explore", "--trace", trace, "--check-so", "%s:check" % so,
                "--strategy", "all", "--json", tmp_path / "r.json"]
        if inproc:
            args.append("--in-process")
        r = pmemu(*args)
        assert r.returncode == want, r.stdout + r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["options"]["check_kind"] == (
        "so-in-process" if inproc else "so-fork")


def test_check_so_crash_is_reported(tmp_path):
    so = build_so(tmp_path, "raise(SIGSEGV); return 0;")
    r = pmemu("explore", "--trace", three_lines(tmp_path), "--check-so",
              "%s:check" % so, "--no-explain", "--json", tmp_path / "r.json")
    assert r.returncode == 1
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["first_failure"]["result"]["kind"] == "signal"


def test_check_so_child_is_reused_after_passes(tmp_path):
    """one long-lived child per worker runs many states"""
    pids = tmp_path / "pids"
    so = build_so(tmp_path, """
    FILE *f = fopen("%s", "a");
    if (!f) return 2;
    fprintf(f, "%%d\\n", (int)getpid());
    fclose(f);
    return 0;""" % pids)
    r = pmemu("explore", "--trace", three_lines(tmp_path), "--check-so",
              "%s:check" % so, "--strategy", "inflight", "--jobs", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    calls = pids.read_text().split()
    assert len(calls) == 8  # 2^3 states at the fence, all distinct
    assert len(set(calls)) == 1


def test_check_so_leftover_state_never_fails_a_state(tmp_path):
    """a failure in a reused child is confirmed in a fresh one: what an
    earlier check left behind (here a static) is not the image's fault"""
    so = build_so(tmp_path, "static int calls; return calls++ ? 3 : 0;")
    r = pmemu("explore", "--trace", three_lines(tmp_path), "--check-so",
              "%s:check" % so, "--strategy", "inflight", "--jobs", "1",
              "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["counts"][
        "checks"] == 8


def test_check_so_failure_after_passes_is_reported(tmp_path):
    """a state that fails in a fresh child too is a failure; the states
    after it still run (the child is replaced)"""
    so = build_so(tmp_path, """
    FILE *f = fopen(image, "rb"); unsigned char b[192];
    if (!f || fread(b, 1, 192, f) != 192) return 2;
    fclose(f);
    return b[128] == 3 && b[0] == 0 ? 5 : 0;""")
    r = pmemu("explore", "--trace", three_lines(tmp_path), "--check-so",
              "%s:check" % so, "--strategy", "inflight", "--jobs", "1",
              "--no-explain", "--json", tmp_path / "r.json")
    assert r.returncode == 1, r.stdout + r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["first_failure"]["result"]["kind"] == "exit"
    assert rep["first_failure"]["result"]["code"] == 5
    assert rep["counts"]["checks"] == 8


def test_check_so_timeout_kills_the_child(tmp_path):
    so = build_so(tmp_path, "sleep(60); return 0;")
    r = pmemu("explore", "--trace", three_lines(tmp_path), "--check-so",
              "%s:check" % so, "--timeout", "0.3", "--no-explain",
              "--json", tmp_path / "r.json")
    assert r.returncode == 1
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["first_failure"]["result"]["kind"] == "timeout"


def test_the_check_may_write_its_image(tmp_path):
    """recovery writes must not leak into the next state's image"""
    trace = three_lines(tmp_path)
    out = tmp_path / "images"
    out.mkdir()
    check = ("cp {pmem} %s/\"$PMEMU_STATE\"; "
             "printf 'RECOVERED' | dd of={pmem} bs=1 seek=1000 "
             "conv=notrunc 2>/dev/null" % out)
    r = pmemu("explore", "--trace", trace, "--strategy", "inflight",
              "--check", check, "--jobs", "1")
    assert r.returncode == 0, r.stderr
    for p in out.iterdir():
        assert b"RECOVERED" not in p.read_bytes(), p.name


def test_original_files_and_trace_are_not_modified(tmp_path):
    trace = commit_record(tmp_path, right_order=False)
    before = (open(trace, "rb").read(),
              (tmp_path / "pool.img").read_bytes())
    pmemu("explore", "--trace", trace, "--strategy", "all", "--check",
          "printf X > {pmem}")
    after = (open(trace, "rb").read(), (tmp_path / "pool.img").read_bytes())
    assert before == after


def test_truncated_trace_is_used_up_to_its_last_record(tmp_path):
    trace = three_lines(tmp_path)
    data = open(trace, "rb").read()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(data[:len(data) - 30])   # the END record is cut off
    r = pmemu("explore", "--trace", cut, "--check", "true {pmem}",
              "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["trace_truncated"] is True
    assert any("END record" in n for n in rep["notes"])


@pytest.mark.parametrize("args,message", [
    (["--trace", "/nonexistent.trace", "--check", "true {pmem}"], "nonexistent"),
    (["--strategy", "bogus"], "--strategy bogus"),
    (["--jobs", "0"], "--jobs 0"),
    (["--shard", "3/2"], "--shard 3/2"),
    (["--shard", "x"], "--shard x"),
    (["--shard", "1/0"], "--shard 1/0"),
    (["--crash-at", "sometimes"], "--crash-at sometimes"),
    (["--timeout", "-1"], "--timeout -1"),
    (["--from", "no-such-marker"], "no-such-marker"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    trace = three_lines(tmp_path)
    base = ["explore", "--check", "true {pmem}"]
    if "--trace" not in args:
        base += ["--trace", trace]
    r = pmemu(*base, *args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("pmemu: error:")
    assert message in r.stderr


def test_a_header_only_trace_cut_is_an_error(tmp_path):
    trace = three_lines(tmp_path)
    cut = tmp_path / "cut.trace"
    cut.write_bytes(open(trace, "rb").read()[:40])
    r = pmemu("explore", "--trace", cut, "--check", "true {pmem}")
    assert r.returncode == 2
    assert r.stderr.startswith("pmemu: error:")
