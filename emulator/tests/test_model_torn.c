/*
 * test_model_torn.c -- torn outcomes (MODEL.md, "The crash-state space",
 * 4): per line, only over the 8-byte pieces whose bytes a store changed,
 * against the version before it ("A8.56" = 8 bytes 'A' then 56 zero bytes;
 * see model_scenario.h)
 */
#include "model_scenario.h"

#define TORN MODEL_STRAT_TORN

/* torn_count -- the TORN outcomes the model offers for the line at off */
static size_t
torn_count(struct model *m, uint64_t off)
{
	struct model_outcome o[600];
	size_t n = model_line_outcomes(m, 0, off, TORN, o, 600), torn = 0;
	assert_true(n <= 600);
	for (size_t i = 0; i < n; i++)
		torn += o[i].kind == MODEL_OUT_TORN;
	return torn;
}

/* store_bytes -- a traced store of the given bytes */
static void
store_bytes(struct model *m, uint64_t off, const uint8_t *data, uint64_t len)
{
	struct model_event ev = { MODEL_EV_STORE, 1, 1, 0, off, len, data };
	assert_int_equal(model_apply(m, &ev), 0);
}

static void
test_wide_store_of_equal_bytes_tears_nothing(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 512, false, 512);
	sc_store(m, 1, 0, 328, 0);      /* zeros over the zeros of a new file */
	for (uint64_t off = 0; off < 384; off += 64)
		SC_EXPECT(m, off, TORN, ".64");
	model_delete(m);
}

static void
test_only_the_changed_pieces_tear(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	uint8_t buf[32] = { 0 };
	memset(buf, 'A', 8);
	memset(buf + 16, 'C', 8);       /* pieces 1 and 3 keep their zeros */
	store_bytes(m, 0, buf, 32);
	SC_EXPECT(m, 0, TORN, ".64", "A8.56", ".16C8.40");
	/* one changed piece: it arrives or not, nothing in between */
	store_bytes(m, 64, buf, 16);
	SC_EXPECT(m, 64, TORN, ".64");
	model_delete(m);
}

static void
test_pieces_compare_with_the_version_before(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 256, false, 512);
	sc_store(m, 1, 0, 16, 'A');
	uint8_t buf[24] = { 0 };
	memset(buf, 'A', 8);
	memset(buf + 8, 'B', 8);        /* piece 0 rewrites the A it holds */
	store_bytes(m, 0, buf, 16);
	/* version 1 tears over D; version 2 changed one piece: no tearing */
	SC_EXPECT(m, 0, TORN, ".64", "A8.56", ".8A8.48");
	/* durable now: a store over it tears against the durable A8B8 */
	sc_ev(m, MODEL_EV_CLWB, 1, 0, 64);
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);
	memset(buf, 'C', 8);
	buf[15] = 'D';
	store_bytes(m, 0, buf, 24);     /* pieces 0, 1 changed; 2 equal zeros */
	SC_EXPECT(m, 0, TORN, "A8B8.48", "C8B8.48", "A8B7D1.48");
	model_delete(m);
}

static void
test_a_store_over_lines_tears_per_line(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 512, false, 512);
	sc_store(m, 1, 32, 128, 'W');   /* 4 pieces, 8 pieces, 4 pieces */
	assert_int_equal(torn_count(m, 0), 14);         /* 2^4 - 2 */
	assert_int_equal(torn_count(m, 64), 254);       /* 2^8 - 2 */
	assert_int_equal(torn_count(m, 128), 14);
	model_delete(m);
}

static void
test_pagecache_tears_changed_sectors_only(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_PAGECACHE, 8192, false, 512);
	sc_store(m, 1, 0, 4096, 0);     /* equal bytes: no sector changed */
	assert_int_equal(torn_count(m, 0), 0);
	sc_store(m, 1, 0, 1024, 'P');   /* sectors 0 and 1 */
	assert_int_equal(torn_count(m, 0), 2);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wide_store_of_equal_bytes_tears_nothing),
		cmocka_unit_test(test_only_the_changed_pieces_tear),
		cmocka_unit_test(test_pieces_compare_with_the_version_before),
		cmocka_unit_test(test_a_store_over_lines_tears_per_line),
		cmocka_unit_test(test_pagecache_tears_changed_sectors_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
