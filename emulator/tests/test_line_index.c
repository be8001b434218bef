/*
 * test_line_index.c -- the line table's fingerprinted index: every line
 * found, no line that is not there, whatever the hashes (colliding slots,
 * colliding fingerprints), across growth; and what a touched line costs
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"
#include "model_impl.h"

#define MANY 2000

/* one slot for every key: the probe walks past all lines */
static uint64_t
same_slot_distinct_fp(uint64_t key)
{
	return (key << 44) | 5;
}

/* one slot and one fingerprint for every key: only the key tells */
static uint64_t
same_slot_same_fp(uint64_t key)
{
	(void)key;
	return 0xabcdef1200000005ull;
}

/* one slot, fingerprints equal for keys equal but in their low bits */
static uint64_t
fp_shifted(uint64_t key)
{
	return (key << 36) | 5;
}

struct table {
	struct line_state *lines;
	struct line_index x;
	uint32_t n;
	uint64_t (*hash)(uint64_t);
};

static void
table_add(struct table *t, uint64_t key)
{
	t->lines[t->n].key = key;
	line_index_add(&t->x, t->hash(key), t->n, t->lines, t->hash);
	t->n++;
}

static uint32_t
table_find(const struct table *t, uint64_t key)
{
	return line_index_find(&t->x, t->hash(key), key, t->lines);
}

/* table_check -- lines 0..n-1 found at their index, keys past them not */
static void
table_check(const struct table *t, uint64_t key_base)
{
	for (uint32_t i = 0; i < t->n; i++)
		assert_int_equal(table_find(t, key_base + i), i);
	for (uint32_t i = t->n; i < t->n + 64; i++)
		assert_int_equal(table_find(t, key_base + i), UINT32_MAX);
}

static void
check_hash(uint64_t (*hash)(uint64_t), uint32_t n)
{
	struct table t = { calloc(n, sizeof(*t.lines)), { 0 }, 0, hash };
	assert_non_null(t.lines);
	assert_int_equal(table_find(&t, 7), UINT32_MAX); /* empty */
	for (uint32_t i = 0; i < n; i++) {
		table_add(&t, 1000 + i);
		if ((i & (i + 1)) == 0 || i == n - 1)
			table_check(&t, 1000); /* around each growth */
	}
	assert_true(t.x.used == n);
	assert_true(((uint64_t)t.x.mask + 1) >= 2ull * n);
	line_index_free(&t.x);
	free(t.lines);
}

static void
test_colliding_slots_distinct_fingerprints(void **state)
{
	(void)state;
	check_hash(same_slot_distinct_fp, MANY);
}

static void
test_colliding_fingerprints_compare_keys(void **state)
{
	(void)state;
	check_hash(same_slot_same_fp, MANY);
	check_hash(fp_shifted, MANY);
}

static void
test_real_hash_growth(void **state)
{
	(void)state;
	check_hash(mix64, 100000);
	check_hash(line_key_hash, 100000);
}

/* a miss reads no line whose fingerprint differs: with every line's key
 * changed to the key looked up, a lookup that compared keys without the
 * fingerprints would find one */
static void
test_miss_reads_no_line(void **state)
{
	(void)state;
	struct table t = { calloc(MANY, sizeof(*t.lines)), { 0 }, 0,
		same_slot_distinct_fp };
	assert_non_null(t.lines);
	for (uint32_t i = 0; i < 100; i++)
		table_add(&t, 1000 + i);
	uint64_t absent = 1000 + 100;
	for (uint32_t i = 0; i < t.n; i++)
		t.lines[i].key = absent;
	assert_int_equal(table_find(&t, absent), UINT32_MAX);
	line_index_free(&t.x);
	free(t.lines);
}

static struct model *
findings_model(void)
{
	struct model_config *cfg = model_config_new();
	struct model *m = model_new(cfg, NULL, NULL);
	model_config_delete(cfg);
	assert_int_equal(model_region_add(m, 0, 1ull << 36, MODEL_DOMAIN_ADR), 0);
	assert_int_equal(model_region_add(m, 3, 1ull << 36, MODEL_DOMAIN_ADR), 0);
	return m;
}

static void
apply(struct model *m, enum model_ev k, uint32_t region, uint64_t off,
		uint32_t len)
{
	struct model_event ev = { k, 1, 1, region, off, len, NULL };
	assert_int_equal(model_apply(m, &ev), 0);
}

/* slot_of_line -- the slot holding line li's index entry */
static uint32_t
slot_of_line(const struct model *m, uint32_t li)
{
	for (uint32_t s = 0; s <= m->index.mask; s++)
		if ((m->index.slot[s] & m->index.mask) == li + 1)
			return s;
	fail();
	return 0;
}

/* a walk finds its lines in one index cache line per 16: the 16 lines of
 * an aligned block sit in 16 adjacent slots of one aligned group (apart
 * from the few a collision moved) */
static void
test_walk_shares_index_lines(void **state)
{
	(void)state;
	struct model *m = findings_model();
	uint32_t n = 1u << 14, apart = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct model_event ev = { MODEL_EV_STORE, 1, 1, 0,
			(160 + i) * 64, 8, NULL };
		assert_int_equal(model_apply(m, &ev), 0);
	}
	for (uint32_t li = 1; li < n; li++)
		apart += slot_of_line(m, li) / 16 !=
			slot_of_line(m, li - 1) / 16;
	assert_true(apart <= n / 16 + n / 64); /* with a random hash: ~n */
	model_delete(m);
}

/* the same line numbers in two regions are two lines; the model finds
 * each again (a flush of an untouched line would be redundant) */
static void
test_model_lines_by_region_and_number(void **state)
{
	(void)state;
	struct model *m = findings_model();
	for (uint64_t i = 0; i < 5000; i++)
		apply(m, MODEL_EV_STORE, 0, i * 4096, 8);
	for (uint64_t i = 0; i < 5000; i += 2)
		apply(m, MODEL_EV_STORE, 3, i * 4096, 8);
	for (uint64_t i = 0; i < 5000; i++) {
		apply(m, MODEL_EV_CLWB, 0, i * 4096, 64);
		apply(m, MODEL_EV_CLWB, 3, i * 4096 + 64, 64);  /* never stored */
	}
	apply(m, MODEL_EV_SFENCE, 0, 0, 0);
	struct model_stats st;
	model_stats(m, &st);
	assert_int_equal(st.lines, 7500);
	/* only region 3's lines are left open */
	assert_int_equal(model_open_lines(m, NULL, 0), 2500);
	model_delete(m);
}

/* lookups that follow the table's order (the last line found, the one
 * after it) and lookups that do not find the same lines: each line's
 * index is its first-touch rank, whichever line was looked up before;
 * region 3's line n comes right after region 0's line n in the table */
static void
test_lookups_in_and_out_of_table_order(void **state)
{
	(void)state;
	struct model *m = findings_model();
	uint32_t n = 3000;
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(line_get(m, 0, i), 2 * i);
		assert_int_equal(line_get(m, 3, i), 2 * i + 1);
	}
	for (uint32_t i = 0; i < n; i++) { /* in order: one region */
		assert_int_equal(line_find(m, 0, i), 2 * i);
		assert_int_equal(line_find(m, 0, i), 2 * i);
	}
	for (uint32_t i = n; i-- > 0;) { /* backwards, both regions */
		assert_int_equal(line_find(m, 3, i), 2 * i + 1);
		assert_int_equal(line_get(m, 0, i), 2 * i);
	}
	for (uint32_t i = 0; i < n; i += 7) { /* gaps, then absent lines */
		assert_int_equal(line_find(m, 3, i), 2 * i + 1);
		assert_int_equal(line_find(m, 0, i + n), UINT32_MAX);
		assert_int_equal(line_find(m, 1, i), UINT32_MAX);
	}
	assert_int_equal(line_get(m, 0, n), 2 * n); /* new after a miss */
	assert_int_equal(line_find(m, 3, n), UINT32_MAX);
	assert_int_equal(line_find(m, 0, n), 2 * n);
	assert_int_equal(model_lines(m), 2 * n + 1);
	model_delete(m);
}

/* the lines a transaction looks up again, out of table order, are found
 * without the index (model->recent): with the index emptied they are
 * still found; a line that shares their recent slot is told apart by its
 * key, and a line never looked up is not found */
static void
test_recent_lines_skip_index(void **state)
{
	(void)state;
	struct model *m = findings_model();
	uint32_t n = 1000, hot[] = { 7, 300, 42, 999, 512 };
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(line_get(m, 0, i), i);
	uint32_t k = sizeof(hot) / sizeof(hot[0]);
	for (uint32_t i = 0; i < k; i++) /* once through the index */
		assert_int_equal(line_find(m, 0, hot[i]), hot[i]);
	size_t bytes = ((size_t)m->index.mask + 1) * sizeof(*m->index.slot);
	uint32_t *saved = malloc(bytes);
	assert_non_null(saved);
	memcpy(saved, m->index.slot, bytes);
	memset(m->index.slot, 0, bytes); /* an index that finds nothing */
	for (uint32_t round = 0; round < 3; round++)
		for (uint32_t i = 0; i < k; i++) {
			assert_int_equal(line_find(m, 0, hot[i]), hot[i]);
			assert_int_equal(line_get(m, 0, hot[i]), hot[i]);
		}
	assert_int_equal(line_find(m, 0, 100), UINT32_MAX); /* not recent */
	memcpy(m->index.slot, saved, bytes);
	free(saved);
	/* a line in hot[0]'s recent slot replaces it there; both found */
	uint32_t other = hot[0] + MODEL_RECENT_LINES;
	assert_int_equal(line_find(m, 0, other), other);
	assert_int_equal(line_find(m, 0, hot[0]), hot[0]);
	assert_int_equal(line_find(m, 3, hot[0]), UINT32_MAX);
	assert_int_equal(model_lines(m), n);
	model_delete(m);
}

/* a line stored, flushed and fenced costs at most 48 bytes of model
 * state (issue 10: 32 for the line, 8-16 for its index slot) */
static void
test_persisted_line_bytes(void **state)
{
	(void)state;
	struct model *m = findings_model();
	uint32_t n = 1u << 16;
	for (uint64_t i = 0; i < n; i++) {
		apply(m, MODEL_EV_STORE, 0, i * 4096, 8);
		apply(m, MODEL_EV_CLWB, 0, i * 4096, 64);
		apply(m, MODEL_EV_SFENCE, 0, 0, 0);
	}
	struct model_stats st;
	model_stats(m, &st);
	assert_int_equal(st.lines, n);
	assert_true(st.bytes <= 48ull * n);
	assert_int_equal(model_open_lines(m, NULL, 0), 0);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colliding_slots_distinct_fingerprints),
		cmocka_unit_test(test_colliding_fingerprints_compare_keys),
		cmocka_unit_test(test_real_hash_growth),
		cmocka_unit_test(test_walk_shares_index_lines),
		cmocka_unit_test(test_miss_reads_no_line),
		cmocka_unit_test(test_model_lines_by_region_and_number),
		cmocka_unit_test(test_persisted_line_bytes),
		cmocka_unit_test(test_lookups_in_and_out_of_table_order),
		cmocka_unit_test(test_recent_lines_skip_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
