/* test_explore_states.c -- crash state ids and the states of one crash
 * point (explore/stateid.c, explore/states.c), alone */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* the explorer is part of the pmemu executable: build its units here */
#include "../explore/linemap.c"
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
test_state_id_rejects_garbage(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "x", "5:", "5:0.40", "5:0.40=",
		"5:0.40=q1", "5:0.40=w0", "5:0.40=t1", "5:0.zz=w1",
		"5:0.40=w1,0.40=e2", "-1", "5:a.40=w1" };
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_id_roundtrip),
		cmocka_unit_test(test_state_id_rejects_garbage),
		cmocka_unit_test(test_exhaustive_product),
		cmocka_unit_test(test_beyond_max_lines_single_inclusions_and_omissions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
