/*
 * test_model_clean.c -- SET_CLEAN of a range wider than the open lines
 * visits only those (model.c set_clean): random events applied to two
 * models, one cleaning whole ranges, the other the same ranges a line at a
 * time (each one line, the table walk); their open lines, outcomes and
 * findings must agree after every event, also while a closed line is
 * dirty (content mode: an untraced store after an unknown version was
 * written back adds no version, and the fence closes the line)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model_impl.h"
#include "model_same.h"

#define SC_LINE 64

#define LINES 256

static struct model *
clean_new(bool contents)
{
	struct model *m = same_model_new(contents, LINES * SC_LINE);
	m->cfg.history_max = 2; /* stores absorbed into the newest too */
	return m;
}

static void
apply_both(struct model *a, struct model *b, const struct model_event *ev)
{
	assert_int_equal(model_apply(a, ev), model_apply(b, ev));
}

/* run -- one seed; whether a closed line was dirty at some point */
static bool
run(bool contents, uint64_t seed)
{
	rng_state = seed;
	struct model *a = clean_new(contents), *b = clean_new(contents);
	uint8_t data[SC_LINE];
	bool wide = false, closed_dirty = false;
	for (int step = 0; step < 4000; step++) {
		uint32_t tid = 1 + rnd(3), line = rnd(LINES), k = rnd(10);
		uint64_t off = (uint64_t)line * SC_LINE;
		struct model_event ev = { .tid = tid, .site = 1 + rnd(50),
			.region = 0, .off = off };
		if (k < 5) {
			ev.kind = MODEL_EV_STORE;
			ev.off += rnd(SC_LINE / 8) * 8;
			ev.len = 8;
			memset(data, (int)rnd(256), sizeof(data));
			ev.data = rnd(4) ? data : NULL; /* some untraced */
		} else if (k < 7) {
			ev.kind = MODEL_EV_CLWB;
			ev.len = SC_LINE;
		} else if (k < 9) {
			ev.kind = MODEL_EV_SFENCE;
			ev.region = MODEL_REGION_ALL;
			ev.off = 0;
		} else {
			ev.kind = MODEL_EV_SET_CLEAN;
			uint32_t n = 1 + rnd(LINES - line);
			ev.len = (uint64_t)n * SC_LINE - rnd(SC_LINE);
			wide |= n > a->nopen;
			assert_int_equal(model_apply(a, &ev), 0);
			for (uint64_t o = ev.off; o < ev.off + ev.len;
					o += SC_LINE) {
				struct model_event one = ev;
				one.off = o;
				one.len = SC_LINE;
				assert_int_equal(model_apply(b, &one), 0);
			}
			same(a, b);
			continue;
		}
		apply_both(a, b, &ev);
		closed_dirty |= a->dirty_closed != 0;
		same(a, b);
	}
	assert_true(wide);
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	apply_both(a, b, &sd);
	same_findings(a, b);
	model_delete(a);
	model_delete(b);
	return closed_dirty;
}

static void
test_clean_content_mode(void **state)
{
	(void)state;
	bool closed_dirty = false;
	for (uint64_t seed = 1; seed <= 8; seed++)
		closed_dirty |= run(true, seed);
	assert_true(closed_dirty); /* the table walk's case ran too */
}

static void
test_clean_findings_mode(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++)
		assert_false(run(false, seed));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_content_mode),
		cmocka_unit_test(test_clean_findings_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
