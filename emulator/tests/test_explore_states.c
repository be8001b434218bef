/* test_explore_states.c -- crash state ids and the states of one crash
 * point (explore/stateid.c, explore/states.c), alone */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* its helpers are static: this file uses a few */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "model_scenario.h"
#pragma GCC diagnostic pop

/* the explorer is part of the pmemu executable: build its units here */
#include "../explore/linemap.c"
#include "../explore/openset.c"
#include "../explore/stateid.c"
#include "../explore/states.c"

char *
xp_strdup(const char *s)
{
	return strdup(s);
}

static void
test_state_id_roundtrip(void **state)
{
	(void)state;
	struct xp_choice c[3] = {
		{ 0, 0x40, { MODEL_OUT_WB, 1, 0 } },
		{ 0, 0x80, { MODEL_OUT_LOST, 0, 0 } },
		{ 2, 0x1000, { MODEL_OUT_TORN, 3, 0x5 } },
	};
	char *id = xp_state_id(17, c, 3);
	assert_string_equal(id, "17:0.40=w1,2.1000=t3.5");
	uint64_t point;
	struct xp_choice *back;
	size_t n;
	assert_int_equal(xp_state_parse(id, &point, &back, &n), 0);
	assert_int_equal(point, 17);
	assert_int_equal(n, 2);
	assert_int_equal(back[1].region, 2);
	assert_int_equal(back[1].off, 0x1000);
	assert_int_equal(back[1].out.kind, MODEL_OUT_TORN);
	assert_int_equal(back[1].out.point, 3);
	assert_int_equal(back[1].out.pieces, 5);
	free(back);
	free(id);
	char *lost = xp_state_id(5, c + 1, 1);
	assert_string_equal(lost, "5");
	free(lost);
}

static void
test_state_id_names_a_poisoned_line(void **state)
{
	(void)state;
	struct xp_choice c[2] = {
		{ 0, 0x40, { MODEL_OUT_POISON, 0, 0 } },
		{ 1, 0x80, { MODEL_OUT_EVICT, 2, 0 } },
	};
	char *id = xp_state_id(9, c, 2);
	assert_string_equal(id, "9:0.40=p,1.80=e2");
	uint64_t point;
	struct xp_choice *back;
	size_t n;
	assert_int_equal(xp_state_parse(id, &point, &back, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(back[0].out.kind, MODEL_OUT_POISON);
	assert_int_equal(back[0].out.point, 0);
	free(back);
	free(id);
}

static void
test_state_id_rejects_garbage(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "x", "5:", "5:0.40", "5:0.40=",
		"5:0.40=q1", "5:0.40=w0", "5:0.40=t1", "5:0.zz=w1",
		"5:0.40=w1,0.40=e2", "-1", "5:a.40=w1", "5:0.40=p1",
		"5:0.40=pp" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t p;
		struct xp_choice *c;
		size_t n;
		assert_int_equal(xp_state_parse(bad[i], &p, &c, &n), -1);
	}
}

/* set_outcomes -- line o has k outcomes, all of distinct contents */
static void
set_outcomes(struct xp_open *o, size_t k)
{
	o->nout = o->ndistinct = k;
	o->newest = k ? k - 1 : 0;
	free(o->distinct);
	o->distinct = calloc(k + 1, sizeof(*o->distinct));
	for (size_t d = 0; d < k; d++)
		o->distinct[d] = (uint32_t)d;
}

/* lines -- n open lines with k outcomes each */
static struct xp_open *
lines(size_t n, size_t k)
{
	struct xp_open *o = calloc(n, sizeof(*o));
	for (size_t i = 0; i < n; i++) {
		set_outcomes(&o[i], k);
		o[i].line.off = i * 64;
	}
	return o;
}

static void
lines_free(struct xp_open *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(o[i].distinct);
	free(o);
}

static size_t
count_bounded(struct xp_open *o, size_t n, unsigned long max_lines,
		unsigned long max_states, unsigned long samples,
		bool *exhaustive, double *left_out)
{
	struct xp_state_bounds b = { max_lines, max_states, samples, 1 };
	struct xp_state_gen *g = xp_state_gen_new(o, n, &b);
	const uint32_t *pick;
	size_t count = 0;
	*exhaustive = xp_state_gen_exhaustive(g);
	while (xp_state_gen_next(g, &pick) == 1)
		count++;
	*left_out = xp_state_gen_left_out(g);
	xp_state_gen_delete(g);
	return count;
}

static size_t
count_states(struct xp_open *o, size_t n, unsigned long max_lines,
		unsigned long samples, bool *exhaustive)
{
	double left_out;
	return count_bounded(o, n, max_lines, 4096, samples, exhaustive,
			&left_out);
}

static void
test_exhaustive_product(void **state)
{
	(void)state;
	bool ex;
	struct xp_open *o = lines(3, 2);
	assert_int_equal(count_states(o, 3, 8, 0, &ex), 8); /* 2^3 */
	assert_true(ex);
	set_outcomes(&o[1], 3);
	assert_int_equal(count_states(o, 3, 8, 0, &ex), 12);
	for (size_t i = 0; i < 3; i++)
		set_outcomes(&o[i], 1); /* pessimistic: one state */
	assert_int_equal(count_states(o, 3, 8, 0, &ex), 1);
	lines_free(o, 3);
}

static void
test_beyond_max_lines_single_inclusions_and_omissions(void **state)
{
	(void)state;
	bool ex;
	struct xp_open *o = lines(10, 2);
	/* all lost, 10 inclusions, all newest, 10 omissions */
	assert_int_equal(count_states(o, 10, 8, 0, &ex), 22);
	assert_false(ex);
	/* samples add at most their number (repeats are skipped) */
	size_t with = count_states(o, 10, 8, 100, &ex);
	assert_true(with > 22 && with <= 122);
	lines_free(o, 10);
}

static void
test_only_distinct_outcomes_are_picked(void **state)
{
	(void)state;
	bool ex;
	struct xp_open *o = lines(2, 2);
	/* outcomes 1 and 3 repeat the contents of 0 and 2 */
	o[0].nout = 5;
	o[0].ndistinct = 3;
	o[0].distinct = realloc(o[0].distinct, 3 * sizeof(uint32_t));
	o[0].distinct[1] = 2;
	o[0].distinct[2] = 4;
	struct xp_state_bounds b = { 8, 4096, 0, 1 };
	struct xp_state_gen *g = xp_state_gen_new(o, 2, &b);
	const uint32_t *pick;
	size_t n = 0;
	while (xp_state_gen_next(g, &pick) == 1) {
		assert_true(pick[0] == 0 || pick[0] == 2 || pick[0] == 4);
		n++;
	}
	assert_int_equal(n, 6); /* 3 x 2 */
	assert_true(xp_state_gen_left_out(g) == 0);
	xp_state_gen_delete(g);
	assert_int_equal(count_states(o, 2, 8, 0, &ex), 6);
	lines_free(o, 2);
}

static void
test_beyond_max_states_bounded_and_counted(void **state)
{
	(void)state;
	bool ex;
	double left_out;
	struct xp_open *o = lines(3, 20);
	/* 8000 combinations of 3 lines: over the default 4096 */
	size_t n = count_bounded(o, 3, 8, 4096, 0, &ex, &left_out);
	assert_false(ex);
	assert_int_equal(n, 1 + 3 * 19 + 1 + 3);
	assert_true(left_out == 8000.0 - (double)n);
	/* a tighter bound: inclusions stop, newest and omissions stay */
	n = count_bounded(o, 3, 8, 20, 0, &ex, &left_out);
	assert_int_equal(n, 20);
	assert_true(left_out == 7980.0);
	/* within both bounds: exhaustive, nothing left out */
	n = count_bounded(o, 3, 8, 8000, 0, &ex, &left_out);
	assert_true(ex);
	assert_int_equal(n, 8000);
	assert_true(left_out == 0);
	lines_free(o, 3);
}

static void
test_bounded_inclusions_first_outcomes_first(void **state)
{
	(void)state;
	struct xp_open *o = lines(64, 256); /* a 4 KiB store's 64 lines */
	struct xp_state_bounds b = { 8, 200, 0, 1 };
	struct xp_state_gen *g = xp_state_gen_new(o, 64, &b);
	const uint32_t *pick;
	size_t n = 0;
	bool seen[64] = { false };
	while (xp_state_gen_next(g, &pick) == 1) {
		size_t at = 0, line = 0;
		for (size_t i = 0; i < 64; i++)
			if (pick[i] != 0) {
				at++;
				line = i;
			}
		if (n >= 1 && n <= 64) {  /* after all lost */
			assert_int_equal(at, 1);
			assert_int_equal(pick[line], 1);
			assert_false(seen[line]);
			seen[line] = true;
		}
		n++;
	}
	assert_int_equal(n, 200);
	assert_true(xp_state_gen_left_out(g) > 1e150); /* 256^64 - 200 */
	xp_state_gen_delete(g);
	lines_free(o, 64);
}

static void
test_all_newest_is_the_newest_content(void **state)
{
	(void)state;
	struct xp_open *o = lines(10, 4);
	for (size_t i = 0; i < 10; i++)
		o[i].newest = 1;       /* torn outcomes follow the newest */
	struct xp_state_bounds b = { 8, 4096, 0, 1 };
	struct xp_state_gen *g = xp_state_gen_new(o, 10, &b);
	const uint32_t *pick;
	size_t n = 0;
	bool found = false;
	while (xp_state_gen_next(g, &pick) == 1) {
		if (++n != 1 + 10 * 3 + 1)  /* all lost, inclusions, newest */
			continue;
		for (size_t i = 0; i < 10; i++)
			assert_int_equal(pick[i], 1);
		found = true;
	}
	assert_true(found);
	xp_state_gen_delete(g);
	lines_free(o, 10);
}

static void
test_openset_keeps_one_outcome_per_content(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 4096, false, 512);
	sc_store(m, 1, 0, 64, 0);               /* zeros over zeros */
	sc_store(m, 1, 64, 64, 'A');
	sc_ev(m, MODEL_EV_CLWB, 1, 64, 64);
	struct xp_openset os = { 0 };
	xp_openset_load(&os, m, MODEL_STRAT_ALL);
	assert_int_equal(os.n, 2);
	/* line 0: its eviction repeats LOST */
	assert_true(os.v[0].nout >= 2);
	assert_int_equal(os.v[0].ndistinct, 1);
	/* line 64: LOST, the write-back; the eviction and the torn
	 * contents (254) of the 64-byte store */
	const struct xp_open *l = &os.v[1];
	assert_int_equal(l->ndistinct, 2 + 254);
	assert_int_equal(l->out[l->distinct[1]].kind, MODEL_OUT_WB);
	assert_int_equal(l->newest, 1);
	for (size_t d = 1; d < l->ndistinct; d++)
		assert_true(l->out[l->distinct[d]].kind != MODEL_OUT_EVICT);
	xp_openset_free(&os);
	model_delete(m);
}

/* poison_at -- index of line o's POISON outcome, or -1 */
static long
poison_at(const struct xp_open *o)
{
	struct model_outcome p = { MODEL_OUT_POISON, 0, 0 };
	return xp_open_find(o, &p);
}

static void
test_poison_only_where_a_write_back_is_in_flight(void **state)
{
	(void)state;
	struct model *m = sc_new(MODEL_DOMAIN_ADR, 4096, false, 512);
	sc_store(m, 1, 0, 8, 'A');              /* dirty, never flushed */
	sc_store(m, 1, 64, 8, 'B');
	sc_ev(m, MODEL_EV_CLWB, 1, 64, 64);     /* in flight */
	sc_store(m, 1, 128, 8, 'C');
	sc_ev(m, MODEL_EV_CLWB, 1, 128, 64);
	sc_store(m, 1, 136, 8, 'C');            /* in flight and dirty */
	struct xp_openset os = { 0 };
	xp_openset_load(&os, m, MODEL_STRAT_ALL);
	for (size_t i = 0; i < os.n; i++)     /* `all` has no poison */
		assert_int_equal(poison_at(&os.v[i]), -1);
	xp_openset_load(&os, m, MODEL_STRAT_POISON);
	assert_int_equal(os.n, 3);
	assert_int_equal(os.v[0].nout, 1);      /* LOST only */
	for (size_t i = 1; i < 3; i++) {
		const struct xp_open *o = &os.v[i];
		/* LOST, POISON: the line's bytes are the fixed pattern */
		assert_int_equal(o->nout, 2);
		assert_int_equal(poison_at(o), 1);
		assert_int_equal(o->ndistinct, 2);
		for (uint32_t b = 0; b < o->line_len; b++)
			assert_int_equal(xp_open_content(o, 1)[b],
					MODEL_POISON_BYTE(b));
	}
	xp_openset_load(&os, m, MODEL_STRAT_ALL | MODEL_STRAT_POISON);
	const struct xp_open *l = &os.v[2];
	assert_int_equal(poison_at(l), (long)l->nout - 1);  /* last */
	assert_int_equal(l->out[l->distinct[l->newest]].kind, MODEL_OUT_EVICT);
	sc_ev(m, MODEL_EV_SFENCE, 1, 0, 0);     /* durable: nothing poisons */
	xp_openset_load(&os, m, MODEL_STRAT_ALL | MODEL_STRAT_POISON);
	for (size_t i = 0; i < os.n; i++)
		assert_int_equal(poison_at(&os.v[i]), -1);
	xp_openset_free(&os);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_id_roundtrip),
		cmocka_unit_test(test_state_id_names_a_poisoned_line),
		cmocka_unit_test(test_state_id_rejects_garbage),
		cmocka_unit_test(test_exhaustive_product),
		cmocka_unit_test(test_beyond_max_lines_single_inclusions_and_omissions),
		cmocka_unit_test(test_only_distinct_outcomes_are_picked),
		cmocka_unit_test(test_beyond_max_states_bounded_and_counted),
		cmocka_unit_test(test_bounded_inclusions_first_outcomes_first),
		cmocka_unit_test(test_all_newest_is_the_newest_content),
		cmocka_unit_test(test_openset_keeps_one_outcome_per_content),
		cmocka_unit_test(test_poison_only_where_a_write_back_is_in_flight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
