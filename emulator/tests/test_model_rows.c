/*
 * test_model_rows.c -- one group per row of MODEL.md's event table, each a
 * tiny scenario with the expected line contents written out by hand
 * ("A8.56" = 8 bytes 'A' then 56 zero bytes; see model_scenario.h)
 */
#include "model_scenario.h"

#define ALL MODEL_STRAT_ALL
#define WB MODEL_STRAT_INFLIGHT
#define EV MODEL_STRAT_EVICTION
#define TORN MODEL_STRAT_TORN

static void
test_store_dirty_line(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	SC_EXPECT(m, 0, MODEL_STRAT_PESSIMISTIC, ".64");
	SC_EXPECT(m, 0, EV, ".64", "A8.56");
	SC_EXPECT(m, 0, ALL, ".64", "A8.56");
	SC_EXPECT(m, 64, ALL, ".64"); /* untouched line: media only */
	model_delete(m);
}

static void
test_clwb_snapshots_the_view(void **state)
{
	(void)state;
	enum model_ev kinds[] = { MODEL_EV_CLWB, MODEL_EV_CLFLUSHOPT };
	for (int i = 0; i < 2; i++) {
		struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
		sc_store(m, 1, 0, 8, 'A');
		sc_ev(m, kinds[i], 1, 0, 64);
		sc_store(m, 1, 8, 8, 'B');
		SC_EXPECT(m, 0, WB, ".64", "A8.56");
		SC_EXPECT(m, 0, EV, ".64", "A8.56", "A8B8.48");
		sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
		SC_EXPECT(m, 0, ALL, "A8.56", "A8B8.48");
		model_delete(m);
	}
}

static void
test_clflush_strong_completes_at_next_event(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	sc_ev(m, MODEL_EV_CLFLUSH, 1, 0, 64);
	/* a crash before T's next event may still lose it */
	SC_EXPECT(m, 0, WB, ".64", "A8.56");
	sc_store(m, 2, 64, 8, 'C'); /* another thread: changes nothing */
	SC_EXPECT(m, 0, WB, ".64", "A8.56");
	sc_store(m, 1, 8, 8, 'B');
	SC_EXPECT(m, 0, WB, "A8.56");
	SC_EXPECT(m, 0, EV, "A8.56", "A8B8.48");
	model_delete(m);
}

static void
test_clflush_weak_is_clflushopt(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, true, 512);
	sc_store(m, 1, 0, 8, 'A');
	sc_ev(m, MODEL_EV_CLFLUSH, 1, 0, 64);
	sc_store(m, 1, 8, 8, 'B');
	SC_EXPECT(m, 0, WB, ".64", "A8.56");
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	SC_EXPECT(m, 0, WB, "A8.56");
	model_delete(m);
}

static void
test_nt_store_is_in_flight_write_back(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store_kind(m, MODEL_EV_NT_STORE, 1, 7, 16, 8, 'N');
	SC_EXPECT(m, 0, WB, ".64", ".16N8.40");
	struct model_open_line ol;
	assert_int_equal(model_open_lines(m, &ol, 1), 1);
	assert_false(ol.dirty);
	assert_true(ol.in_flight);
	sc_ev(m, MODEL_EV_SFENCE, 2, 0, 0); /* not T's fence */
	SC_EXPECT(m, 0, WB, ".64", ".16N8.40");
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	SC_EXPECT(m, 0, ALL, ".16N8.40");
	assert_int_equal(model_open_lines(m, &ol, 1), 0);
	/* a 16-byte streaming store may tear into its 8-byte pieces */
	sc_store_kind(m, MODEL_EV_NT_STORE, 1, 7, 32, 16, 'W');
	SC_EXPECT(m, 0, TORN, ".16N8.40", ".16N8.8W8.24", ".16N8.16W8.16");
	model_delete(m);
}

static void
test_movdir64b_is_atomic(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store_kind(m, MODEL_EV_MOVDIR64B, 1, 7, 64, 64, 'M');
	SC_EXPECT(m, 64, ALL, ".64", "M64", "M64");
	uint8_t buf[64] = { 0 };
	struct model_event bad = { MODEL_EV_MOVDIR64B, 1, 7, 0, 8, 64, buf };
	assert_int_equal(model_apply(m, &bad), -EINVAL);
	model_delete(m);
}

static void
test_fences_are_per_thread(void **state)
{
	(void)state;
	enum model_ev fences[] = { MODEL_EV_SFENCE, MODEL_EV_MFENCE,
		MODEL_EV_LOCKED };
	for (int i = 0; i < 3; i++) {
		struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
		sc_store(m, 1, 0, 8, 'A');
		sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);
		sc_ev(m, fences[i], 2, 0, 0);
		SC_EXPECT(m, 0, WB, ".64", "A8.56");
		sc_ev(m, fences[i], 1, 0, 0);
		SC_EXPECT(m, 0, WB, "A8.56");
		model_delete(m);
	}
}

static void
test_flush_covers_other_threads_stores(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	sc_ev(m, MODEL_EV_CLWB, 2, 0, 64);
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	SC_EXPECT(m, 0, WB, ".64", "A8.56");
	sc_ev(m, MODEL_EV_SFENCE, 2, 0, 0);
	SC_EXPECT(m, 0, WB, "A8.56");
	model_delete(m);
}

static void
test_later_write_back_supersedes(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);
	sc_store(m, 2, 8, 8, 'B');
	sc_ev(m, MODEL_EV_CLWB, 2, 0, 64);
	SC_EXPECT(m, 0, WB, ".64", "A8.56", "A8B8.48");
	sc_ev(m, MODEL_EV_SFENCE, 2, 0, 0);
	/* thread 1's older write-back can no longer land after it */
	SC_EXPECT(m, 0, ALL, "A8B8.48");
	model_delete(m);
}

static void
test_msync_rounds_to_pages_then_fences(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 8192, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	sc_store(m, 1, 4096 + 64, 8, 'B');
	sc_ev(m, MODEL_EV_MSYNC, 1, 10, 20);
	SC_EXPECT(m, 0, ALL, "A8.56");
	SC_EXPECT(m, 4096 + 64, MODEL_STRAT_PESSIMISTIC, ".64");
	sc_ev(m, MODEL_EV_FSYNC, 1, 0, 0);
	SC_EXPECT(m, 4096 + 64, ALL, "B8.56");
	model_delete(m);
}

struct found {
	struct model_finding f[16];
	size_t n;
};

static void
collect(void *ctx, const struct model_finding *f)
{
	struct found *x = ctx;
	if (x->n < 16)
		x->f[x->n++] = *f;
}

static void
test_clean_shutdown_drains_and_reports(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store_kind(m, MODEL_EV_STORE, 1, 11, 0, 8, 'A');
	sc_store_kind(m, MODEL_EV_STORE, 1, 12, 4, 8, 'A');
	sc_store_kind(m, MODEL_EV_STORE, 1, 13, 64, 8, 'B');
	sc_ev(m, MODEL_EV_CLWB, 1, 64, 64); /* site 101, no fence */
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	assert_int_equal(model_apply(m, &sd), 0);
	struct model_open_line ol;
	assert_int_equal(model_open_lines(m, &ol, 1), 0);
	uint8_t buf[64];
	assert_int_equal(model_line_durable(m, 0, 64, buf), 0);
	assert_int_equal(buf[0], 'B');
	struct found x = { .n = 0 };
	assert_int_equal(model_findings(m, collect, &x), 2);
	assert_int_equal(x.f[0].cls, MODEL_FIND_UNPERSISTED);
	assert_int_equal(x.f[0].site, 11);
	assert_int_equal(x.f[0].count, 2);
	assert_int_equal(x.f[1].cls, MODEL_FIND_NO_FENCE);
	assert_int_equal(x.f[1].site, 101);
	assert_int_equal(x.f[1].off, 64);
	model_delete(m);
}

static void
test_redundant_and_outside_flushes(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_ev(m, MODEL_EV_CLWB, 1, 128, 64);  /* never stored: redundant */
	sc_store(m, 1, 0, 8, 'A');
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 128);   /* one dirty line: fine */
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);    /* again: redundant */
	struct model_event out = { MODEL_EV_FLUSH_OUTSIDE, 1, 55, 0, 0x1000, 64,
		NULL };
	assert_int_equal(model_apply(m, &out), 0);
	struct found x = { .n = 0 };
	assert_int_equal(model_findings(m, collect, &x), 2);
	assert_int_equal(x.f[0].cls, MODEL_FIND_REDUNDANT);
	assert_int_equal(x.f[0].count, 2);
	assert_int_equal(x.f[1].cls, MODEL_FIND_OUTSIDE);
	assert_int_equal(x.f[1].site, 55);
	model_delete(m);
}

/* a report at each crash point and one at the end: each finding in the
 * first batch taken after it, never again */
static void
test_findings_taken_once(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_ev(m, MODEL_EV_CLWB, 1, 128, 64);  /* redundant, before a point */
	struct found x = { .n = 0 };
	assert_int_equal(model_findings_take(m, collect, &x), 1);
	assert_int_equal(x.f[0].cls, MODEL_FIND_REDUNDANT);
	assert_int_equal(x.f[0].count, 1);
	x.n = 0;
	assert_int_equal(model_findings_take(m, collect, &x), 0);
	sc_ev(m, MODEL_EV_CLWB, 1, 192, 64);  /* the same site again */
	sc_store(m, 1, 0, 8, 'A');
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	assert_int_equal(model_apply(m, &sd), 0);
	assert_int_equal(model_findings_take(m, collect, &x), 2);
	assert_int_equal(x.f[0].cls, MODEL_FIND_UNPERSISTED);
	assert_int_equal(x.f[1].cls, MODEL_FIND_REDUNDANT);
	assert_int_equal(x.f[1].count, 1); /* the second flush only */
	x.n = 0;
	assert_int_equal(model_findings(m, collect, &x), 2); /* all of it */
	assert_int_equal(x.f[1].count, 2);
	model_delete(m);
}

static void
test_eadr_stores_are_durable(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_EADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	struct model_open_line ol;
	assert_int_equal(model_open_lines(m, &ol, 1), 0);
	SC_EXPECT(m, 0, ALL, "A8.56");
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);
	struct found x = { .n = 0 };
	assert_int_equal(model_findings(m, collect, &x), 1);
	assert_int_equal(x.f[0].cls, MODEL_FIND_REDUNDANT);
	model_delete(m);
}

/* cxl runs as adr; a crash may also have Global Persistent Flush write
 * every line's view back: the newest content, whatever the strategy */
static void
test_cxl_gpf_offers_the_view(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_CXL, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	sc_store(m, 1, 8, 8, 'B');
	SC_EXPECT(m, 0, MODEL_STRAT_PESSIMISTIC, ".64", "A8B8.48");
	SC_EXPECT(m, 0, EV, ".64", "A8.56", "A8B8.48");
	sc_ev(m, MODEL_EV_CLWB, 1, 64, 64); /* a clean line: redundant */
	struct found x = { .n = 0 };
	assert_int_equal(model_findings(m, collect, &x), 1);
	assert_int_equal(x.f[0].cls, MODEL_FIND_REDUNDANT);
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	SC_EXPECT(m, 0, MODEL_STRAT_PESSIMISTIC, "A8B8.48"); /* durable */
	model_delete(m);
}

static void
test_pagecache_sectors_tear(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_PAGECACHE, 8192, false, 512);
	assert_int_equal(model_region_line(m, 0), 4096);
	sc_store(m, 1, 0, 600, 'A');
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64); /* reaches no storage */
	const char *const want[] = { ".512", "A75.437", "A64.448", ".64A11.437" };
	sc_expect_line(m, 0, ALL, 4096, want, 4);
	struct found x = { .n = 0 };
	assert_int_equal(model_findings(m, collect, &x), 1);
	assert_int_equal(x.f[0].cls, MODEL_FIND_PAGECACHE_FLUSH);
	sc_ev(m, MODEL_EV_MSYNC, 1, 0, 4096);
	const char *const done[] = { "A75.437" };
	sc_expect_line(m, 0, ALL, 4096, done, 1);
	model_delete(m);
	/* a device with atomic 4 KiB sectors never tears a page */
	m = sc_new(MODEL_DOMAIN_PAGECACHE, 8192, false, 4096);
	sc_store(m, 1, 0, 600, 'A');
	sc_expect_line(m, 0, ALL, 4096, want, 2);
	model_delete(m);
}

static void
test_stores_to_a_line_persist_in_order(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	for (int i = 0; i < 8; i++)
		sc_store(m, 1, (uint64_t)i * 8, 8, (uint8_t)('a' + i));
	/* 9 images where pmreorder tries 8! orders (MODEL.md) */
	SC_EXPECT(m, 0, ALL, ".64", "a8.56", "a8b8.48", "a8b8c8.40",
		"a8b8c8d8.32", "a8b8c8d8e8.24", "a8b8c8d8e8f8.16",
		"a8b8c8d8e8f8g8.8", "a8b8c8d8e8f8g8h8");
	model_delete(m);
}

static void
test_only_wide_or_misaligned_stores_tear(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 16, 'W');
	SC_EXPECT(m, 0, TORN, ".64", "W8.56", ".8W8.48");
	sc_store(m, 1, 64 + 4, 8, 'X');
	SC_EXPECT(m, 64, TORN, ".64", ".4X4.56", ".8X4.52");
	sc_store(m, 1, 128 + 3, 2, 'Y');
	SC_EXPECT(m, 128, TORN, ".64");
	model_delete(m);
}

static void
test_untraced_lines_offer_only_seen_contents(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	struct model_event un = { MODEL_EV_STORE, 1, 9, 0, 0, 8, NULL };
	assert_int_equal(model_apply(m, &un), 0);
	SC_EXPECT(m, 0, ALL, ".64");
	struct model_open_line ol;
	assert_int_equal(model_open_lines(m, &ol, 1), 1);
	assert_true(ol.unexplored);
	uint8_t line[64] = { 0 };
	memset(line, 'U', 8);
	struct model_event snap = { MODEL_EV_SNAPSHOT, 1, 0, 0, 0, 64, line };
	assert_int_equal(model_apply(m, &snap), 0);
	SC_EXPECT(m, 0, ALL, ".64", "U8.56");
	model_delete(m);
}

static void
test_snapshot_equal_to_traced_view_keeps_versions(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'A');
	struct model_event un = { MODEL_EV_STORE, 1, 9, 0, 0, 8, NULL };
	assert_int_equal(model_apply(m, &un), 0);
	sc_store(m, 1, 8, 8, 'B');
	SC_EXPECT(m, 0, EV, ".64", "A8.56");
	uint8_t line[64] = { 0 };
	memset(line, 'A', 8);
	memset(line + 8, 'B', 8);
	struct model_event snap = { MODEL_EV_SNAPSHOT, 1, 0, 0, 0, 64, line };
	assert_int_equal(model_apply(m, &snap), 0);
	SC_EXPECT(m, 0, EV, ".64", "A8.56", "A8.56", "A8B8.48");
	model_delete(m);
}

static void
test_three_in_flight_lines_give_eight_images(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	for (int i = 0; i < 3; i++) {
		sc_store(m, 1, (uint64_t)i * 64, 8, (uint8_t)('a' + i));
		sc_ev(m, MODEL_EV_CLWB, 1, (uint64_t)i * 64, 64);
	}
	struct model_open_line ol[4];
	assert_int_equal(model_open_lines(m, ol, 4), 3);
	size_t product = 1;
	for (int i = 0; i < 3; i++) {
		struct model_outcome o[4];
		product *= model_line_outcomes(m, 0, ol[i].off, WB, o, 4);
	}
	assert_int_equal(product, 8);
	model_delete(m);
}

static void
test_flush_of_a_partial_last_line(void **state)
{
	(void)state;
	/* a file of 88 bytes: its second line has 24 */
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 88, false, 512);
	sc_store(m, 1, 64, 24, 'T');
	sc_ev(m, MODEL_EV_CLWB, 1, 64, 64); /* whole line, past the end */
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	struct model_open_line ol;
	assert_int_equal(model_open_lines(m, &ol, 1), 0);
	uint8_t buf[64];
	struct model_event st = { MODEL_EV_STORE, 1, 1, 0, 80, 16, buf };
	assert_int_equal(model_apply(m, &st), -ERANGE); /* a store past it */
	model_delete(m);
}

static void
test_set_clean_needs_no_persist(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 8, 'R'); /* run-time state, never persisted */
	sc_store(m, 1, 64, 8, 'U');
	struct model_event sc = { MODEL_EV_SET_CLEAN, 1, 0, 0, 0, 64, NULL };
	assert_int_equal(model_apply(m, &sc), 0);
	SC_EXPECT(m, 0, ALL, "R8.56");
	struct model_finding f = { .cls = MODEL_FIND_TX_UNADDED, .site = 77,
		.count = 3, .lines = 1, .region = 0, .off = 128 };
	model_report(m, &f);
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	assert_int_equal(model_apply(m, &sd), 0);
	struct found x = { .n = 0 };
	assert_int_equal(model_findings(m, collect, &x), 2);
	assert_int_equal(x.f[0].cls, MODEL_FIND_UNPERSISTED);
	assert_int_equal(x.f[0].off, 64); /* only the line not set clean */
	assert_int_equal(x.f[1].cls, MODEL_FIND_TX_UNADDED);
	assert_int_equal(x.f[1].count, 3);
	model_delete(m);
}

static void
test_memory_follows_touched_lines(void **state)
{
	(void)state;
	struct model_config *cfg = model_config_new();
	struct model *m = model_new(cfg, NULL, NULL);
	model_config_delete(cfg);
	assert_int_equal(model_region_add(m, 0, 64ull << 30, MODEL_DOMAIN_ADR), 0);
	uint8_t v[8] = { 1 };
	for (int i = 0; i < 10; i++) {
		struct model_event ev = { MODEL_EV_STORE, 1, 1, 0,
			(uint64_t)i << 32, 8, v };
		assert_int_equal(model_apply(m, &ev), 0);
	}
	struct model_stats st;
	model_stats(m, &st);
	assert_int_equal(st.lines, 10);
	assert_true(st.bytes < 16 * 1024);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_dirty_line),
		cmocka_unit_test(test_clwb_snapshots_the_view),
		cmocka_unit_test(test_clflush_strong_completes_at_next_event),
		cmocka_unit_test(test_clflush_weak_is_clflushopt),
		cmocka_unit_test(test_nt_store_is_in_flight_write_back),
		cmocka_unit_test(test_movdir64b_is_atomic),
		cmocka_unit_test(test_fences_are_per_thread),
		cmocka_unit_test(test_flush_covers_other_threads_stores),
		cmocka_unit_test(test_later_write_back_supersedes),
		cmocka_unit_test(test_msync_rounds_to_pages_then_fences),
		cmocka_unit_test(test_clean_shutdown_drains_and_reports),
		cmocka_unit_test(test_redundant_and_outside_flushes),
		cmocka_unit_test(test_findings_taken_once),
		cmocka_unit_test(test_eadr_stores_are_durable),
		cmocka_unit_test(test_cxl_gpf_offers_the_view),
		cmocka_unit_test(test_pagecache_sectors_tear),
		cmocka_unit_test(test_stores_to_a_line_persist_in_order),
		cmocka_unit_test(test_only_wide_or_misaligned_stores_tear),
		cmocka_unit_test(test_untraced_lines_offer_only_seen_contents),
		cmocka_unit_test(test_snapshot_equal_to_traced_view_keeps_versions),
		cmocka_unit_test(test_three_in_flight_lines_give_eight_images),
		cmocka_unit_test(test_flush_of_a_partial_last_line),
		cmocka_unit_test(test_set_clean_needs_no_persist),
		cmocka_unit_test(test_memory_follows_touched_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
