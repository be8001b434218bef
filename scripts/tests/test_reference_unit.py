"""test_reference_unit.py -- the Python reference model on tiny scenarios
whose crash images are written out by hand (MODEL.md and docs/model.md).

Regions here are 3 lines of 64 bytes (or 1-2 pages for pagecache). An
image is written as a list of line contents; helpers build them from the
initial pattern and the stores.
"""
import pytest

from pmemu_ref import format as fmt
from pmemu_ref.model import Reference, crash_images

LINE = 64
F_UNPERSISTED, F_NO_FENCE, F_REDUNDANT, F_OUTSIDE, F_PAGECACHE = range(5)


def make(domain="adr", lines=3, clflush="strong", sector=512):
    ref = Reference({"domain": domain, "line": LINE, "sector": sector,
                     "clflush": clflush})
    line = fmt.PAGE if domain == "pagecache" else LINE
    ref.add_region(0, lines * line, domain)
    return ref


def run(ref, *events):
    for e in events:
        ref.apply(fmt.parse_event(e))
    return ref


def media(ref):
    """the initial content of region 0"""
    return bytearray(fmt.pattern(0, 0, ref.regions[0].len))


def put(img, off, data):
    img = bytearray(img)
    img[off:off + len(data)] = data
    return bytes(img)


def images(*imgs):
    return {bytes(i) for i in imgs}


A8 = bytes(range(0xA0, 0xA8))
B8 = bytes(range(0xB0, 0xB8))
C16 = bytes(range(0xC0, 0xD0))


def store(tid, off, data, site=1):
    return "store %d %d 0 %d %d %s" % (tid, site, off, len(data), data.hex())


def findings(ref):
    return {k: v[0] for k, v in ref.findings.items()}


# ---- adr: stores, flushes, fences ----

def test_store_may_be_lost_or_evicted():
    ref = run(make(), store(0, 0, A8))
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, A8))


def test_flush_and_fence_make_durable():
    ref = run(make(), store(0, 0, A8), "clwb 0 1 0 0 1", "sfence 0")
    assert crash_images(ref) == images(put(media(ref), 0, A8))


def test_flush_without_fence_may_be_lost():
    ref = run(make(), store(0, 0, A8), "clwb 0 1 0 0 1")
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, A8))


def test_poison_only_where_a_write_back_is_in_flight():
    """--strategy poison: a line whose write-back was in flight may be
    left poisoned; a dirty line never flushed, or a fenced one, not"""
    ref = run(make(), store(0, 0, A8), store(0, 64, B8),
              "clwb 0 1 0 64 64", store(0, 72, A8))
    assert not ref.poisonable(ref.lines[(0, 0)])
    assert ref.poisonable(ref.lines[(0, 64)])   # in flight (and dirty)
    run(ref, "sfence 0")
    assert not ref.poisonable(ref.lines[(0, 64)])
    assert fmt.poison_content(4) == bytes([0xA5, 0xB8, 0x9F, 0xF2])


def test_inflight_three_lines_give_eight_images():
    """each of 3 flushed, unfenced lines independently lost or landed"""
    ev = []
    for i in range(3):
        ev += [store(0, i * LINE, A8), "clwb 0 1 0 %d 1" % (i * LINE)]
    ref = run(make(), *ev)
    d = media(ref)
    expect = set()
    for mask in range(8):
        img = d
        for i in range(3):
            if mask >> i & 1:
                img = put(img, i * LINE, A8)
        expect.add(bytes(img))
    assert len(expect) == 8
    assert crash_images(ref) == expect


def test_stores_to_a_line_persist_in_order():
    """a prefix of the stores: never B without A (MODEL.md)"""
    ref = run(make(), store(0, 0, A8), store(0, 8, B8))
    d = media(ref)
    a = put(d, 0, A8)
    assert crash_images(ref) == images(d, a, put(a, 8, B8))


def test_eviction_offers_versions_before_the_flush():
    """Refinement 1: stored a, stored b, flushed, unfenced: D + a too"""
    ref = run(make(), store(0, 0, A8), store(0, 8, B8), "clwb 0 1 0 0 1")
    d = media(ref)
    a = put(d, 0, A8)
    assert crash_images(ref) == images(d, a, put(a, 8, B8))


def test_wide_store_tears_by_eight_byte_pieces():
    ref = run(make(), store(0, 0, C16))
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, C16),
                                       put(d, 0, C16[:8]),
                                       put(d, 8, C16[8:]))


def test_aligned_eight_byte_store_never_tears():
    ref = run(make(), store(0, 8, A8))
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 8, A8))


def test_misaligned_store_tears_at_the_piece_boundary():
    data = bytes([1, 2, 3, 4])
    ref = run(make(), store(0, 6, data))
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 6, data),
                                       put(d, 6, data[:2]),
                                       put(d, 8, data[2:]))


def test_fence_of_another_thread_completes_nothing():
    ref = run(make(), store(0, 0, A8), "clwb 0 1 0 0 1", "sfence 1")
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, A8))
    run(ref, "mfence 0")
    assert crash_images(ref) == images(put(d, 0, A8))


def test_locked_rmw_is_a_fence():
    ref = run(make(), store(2, 64, A8), "clflushopt 2 1 0 64 1", "locked 2")
    assert crash_images(ref) == images(put(media(ref), 64, A8))


def test_later_write_back_supersedes_earlier_one():
    """T0 flushed a, T1 flushed a+b; T1's fence makes a+b durable and T0's
    write-back is superseded"""
    ref = run(make(), store(0, 0, A8), "clwb 0 1 0 0 1", store(1, 8, B8),
              "clwb 1 2 0 0 1", "sfence 1")
    ab = put(put(media(ref), 0, A8), 8, B8)
    assert crash_images(ref) == images(ab)


def test_fence_completes_only_its_threads_version():
    ref = run(make(), store(0, 0, A8), "clwb 0 1 0 0 1", store(1, 8, B8),
              "clwb 1 2 0 0 1", "sfence 0")
    a = put(media(ref), 0, A8)
    assert crash_images(ref) == images(a, put(a, 8, B8))


def test_strong_clflush_completes_at_the_threads_next_event():
    """Refinement 5: in flight until T's next event, durable after it"""
    ref = run(make(), store(0, 0, A8), "clflush 0 1 0 0 1")
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, A8))
    run(ref, store(1, 64, B8))  # another thread: still in flight
    assert put(d, 0, A8) in crash_images(ref) and len(crash_images(ref)) == 4
    run(ref, store(0, 128, B8))  # its own next store: durable
    base = put(d, 0, A8)
    assert crash_images(ref) == images(base, put(base, 64, B8),
                                       put(base, 128, B8),
                                       put(put(base, 64, B8), 128, B8))


def test_weak_clflush_needs_a_fence():
    ref = run(make(clflush="weak"), store(0, 0, A8), "clflush 0 1 0 0 1",
              store(0, 128, B8), "clwb 0 1 0 128 1")
    d = media(ref)
    assert len(crash_images(ref)) == 4
    run(ref, "sfence 0")
    assert crash_images(ref) == images(put(put(d, 0, A8), 128, B8))


def test_redundant_flush_is_a_finding():
    ref = run(make(), "clwb 0 7 0 0 1", store(0, 0, A8), "clwb 0 8 0 0 1",
              "clwb 0 9 0 0 1")
    assert findings(ref) == {(F_REDUNDANT, 7): 1, (F_REDUNDANT, 9): 1}


def test_flush_outside_every_region_is_a_finding():
    ref = run(make(), "outside 0 4 123456 8")
    assert findings(ref) == {(F_OUTSIDE, 4): 1}


# ---- non-temporal stores ----

def test_nt_store_is_in_flight_until_the_fence():
    ref = run(make(), "nt 0 1 0 0 16 " + C16.hex())
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, C16),
                                       put(d, 0, C16[:8]),
                                       put(d, 8, C16[8:]))
    run(ref, "sfence 0")
    assert crash_images(ref) == images(put(d, 0, C16))


def test_movdir64b_never_tears():
    data = bytes(range(64))
    ref = run(make(), "movdir64b 0 1 0 64 " + data.hex())
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 64, data))


def test_nt_store_to_a_dirty_line_carries_the_line():
    """Refinement 2: the write-back holds the earlier store too"""
    ref = run(make(), store(0, 0, A8), "nt 0 1 0 8 8 " + B8.hex(),
              "sfence 0")
    assert crash_images(ref) == images(put(put(media(ref), 0, A8), 8, B8))


# ---- msync, fsync, shutdown ----

def test_msync_flushes_and_fences_every_page():
    ref = run(make(), store(0, 0, A8), store(1, 128, B8), "msync 0 0 0 1")
    assert crash_images(ref) == images(put(put(media(ref), 0, A8), 128, B8))


def test_fsync_all_regions():
    ref = make()
    ref.add_region(1, 2 * LINE, "adr")
    run(ref, store(0, 0, A8), "store 0 1 1 64 8 " + B8.hex(), "fsync 3 all")
    img = put(media(ref), 0, A8) + bytearray(fmt.pattern(1, 0, 128))
    assert crash_images(ref) == images(put(img, 3 * LINE + 64, B8))


def test_clean_shutdown_makes_durable_but_reports():
    ref = run(make(), store(0, 0, A8, site=5), store(0, 64, A8, site=6),
              "clwb 0 7 0 64 1", store(0, 128, B8, site=8),
              "clflush 0 9 0 128 1", "shutdown 0 0 192")
    d = put(put(put(media(ref), 0, A8), 64, A8), 128, B8)
    assert crash_images(ref) == images(d)
    # a strong clflush needs no fence (MODEL.md): not a finding
    assert findings(ref) == {(F_UNPERSISTED, 5): 1, (F_NO_FENCE, 7): 1}


# ---- untraced stores and snapshots ----

def test_untraced_store_offers_only_what_was_seen():
    ref = run(make(), "store 0 1 0 0 8 -")
    d = media(ref)
    assert crash_images(ref) == images(d)
    run(ref, "snapshot 0 0 0 " + put(d, 0, A8)[:LINE].hex())
    assert crash_images(ref) == images(d, put(d, 0, A8))


def test_snapshot_equal_to_the_view_makes_versions_known():
    """Refinement 6: a page fault of a traced store changes nothing"""
    ref = run(make(), store(0, 0, A8), "store 0 1 0 0 8 -")
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, A8))
    run(ref, "snapshot 0 0 0 " + put(d, 0, A8)[:LINE].hex())
    assert crash_images(ref) == images(d, put(d, 0, A8))
    assert all(v.known for v in ref.lines[(0, 0)].hist)


def test_traced_store_after_an_untraced_one_is_unknown():
    ref = run(make(), "store 0 1 0 0 8 -", store(0, 8, B8))
    assert crash_images(ref) == images(media(ref))


# ---- other domains ----

def test_eadr_every_store_is_durable():
    ref = run(make("eadr"), store(0, 0, A8), "clwb 0 3 0 0 1")
    assert crash_images(ref) == images(put(media(ref), 0, A8))
    assert findings(ref) == {(F_REDUNDANT, 3): 1}


def test_pagecache_page_write_tears_by_sector():
    data = bytes([1, 2, 3, 4])
    ref = run(make("pagecache", lines=1), store(0, 510, data))
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 510, data),
                                       put(d, 510, data[:2]),
                                       put(d, 512, data[2:]))
    run(ref, "msync 0 0 0 4096")
    assert crash_images(ref) == images(put(d, 510, data))


def test_pagecache_atomic_sectors_do_not_tear():
    data = bytes([1, 2, 3, 4])
    ref = run(make("pagecache", lines=1, sector=4096), store(0, 510, data))
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 510, data))


def test_pagecache_cpu_flush_does_nothing_and_is_reported():
    ref = run(make("pagecache", lines=1), store(0, 0, A8),
              "clwb 0 6 0 0 1", "sfence 0")
    d = media(ref)
    assert crash_images(ref) == images(d, put(d, 0, A8))
    assert findings(ref) == {(F_PAGECACHE, 6): 1}


def test_pagecache_torn_write_is_taken_over_durable():
    """Refinement 4: two stores in different sectors; torn pieces are
    subsets of the sectors where D and each version differ"""
    ref = run(make("pagecache", lines=1), store(0, 0, A8),
              store(0, 1024, B8))
    d = media(ref)
    a = put(d, 0, A8)
    ab = put(a, 1024, B8)
    # versions a and ab; ab torn over D: a or b alone
    assert crash_images(ref) == images(d, a, ab, put(d, 1024, B8))


@pytest.mark.parametrize("width", [1, 2, 4, 8, 16, 32, 64])
def test_store_spanning_two_lines_is_two_independent_lines(width):
    data = bytes(range(1, width + 1))
    off = LINE - width // 2 if width > 1 else LINE
    ref = run(make(), store(0, off, data))
    imgs = crash_images(ref)
    assert put(media(ref), off, data) in imgs
    assert bytes(media(ref)) in imgs
