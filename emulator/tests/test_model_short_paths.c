/*
 * test_model_short_paths.c -- the model's short paths (model.c: a STORE
 * within one line in findings mode, store_fast; a flush of one line)
 * against its general paths: random events applied to two models, one
 * with the short paths on (as made) and one with them off; their lines,
 * open lines, outcomes, event counts and findings must agree after every
 * step. Events cover every domain, stores within a line and across
 * lines, merged stores (model_apply_stores), non-temporal stores, every
 * flush kind of one line, of several, of none (length 0), past a short
 * region's end and out of range, fences, syncs and set-clean, from three
 * threads, with clflush pending or not, in both modes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define LINES 128
#define SAME_LINES_MAX (5 * LINES) /* every line of the five regions */
#include "model_impl.h"
#include "model_same.h"

#define SP_LINE 64
#define SHORT_TAIL 24 /* region 3 ends that short of a whole line */

/* pair_new -- region 0 adr (model_same.h), 1 cxl, 2 eadr, 3 adr short
 * of a whole line, 4 pagecache; short paths on or off */
static struct model *
pair_new(bool contents, bool short_paths)
{
	struct model *m = same_model_new(contents, LINES * SP_LINE);
	assert_int_equal(model_region_add(m, 1, LINES * SP_LINE,
			MODEL_DOMAIN_CXL), 0);
	assert_int_equal(model_region_add(m, 2, LINES * SP_LINE,
			MODEL_DOMAIN_EADR), 0);
	assert_int_equal(model_region_add(m, 3, LINES * SP_LINE - SHORT_TAIL,
			MODEL_DOMAIN_ADR), 0);
	assert_int_equal(model_region_add(m, 4, LINES * SP_LINE,
			MODEL_DOMAIN_PAGECACHE), 0);
	m->short_paths = short_paths;
	return m;
}

static const enum model_ev flushes[] = { MODEL_EV_CLWB,
	MODEL_EV_CLFLUSHOPT, MODEL_EV_CLFLUSH };
static const enum model_ev fences[] = { MODEL_EV_SFENCE, MODEL_EV_MFENCE,
	MODEL_EV_LOCKED };

/* range -- a random [off, off + len): mostly within one line, else over
 * a few lines, or empty, or reaching past the region */
static void
range(struct model_event *ev)
{
	uint32_t line = rnd(LINES);
	ev->off = (uint64_t)line * SP_LINE;
	switch (rnd(8)) {
	case 0: /* a few lines */
		ev->off += rnd(SP_LINE);
		ev->len = 1 + rnd(4 * SP_LINE);
		break;
	case 1: /* nothing */
		ev->len = 0;
		break;
	case 2: /* the region's last line and past it */
		ev->off = (uint64_t)(LINES - 1) * SP_LINE + rnd(SP_LINE);
		ev->len = 1 + rnd(2 * SP_LINE);
		break;
	default: { /* within the line */
		uint32_t in = rnd(SP_LINE);
		ev->off += in;
		ev->len = 1 + rnd(SP_LINE - in);
		break;
	}
	}
}

/* event_both -- one random event to both models, the same result */
static void
event_both(struct model *a, struct model *b)
{
	static uint8_t data[4 * SP_LINE];
	struct model_event ev = { .tid = 1 + rnd(3), .site = 1 + rnd(50),
		.region = rnd(6) }; /* 5: no such region */
	uint32_t k = rnd(20), count = 1;
	range(&ev);
	if (k < 9) {
		ev.kind = k == 8 ? MODEL_EV_NT_STORE : MODEL_EV_STORE;
		memset(data, (int)rnd(256), sizeof(data));
		ev.data = rnd(2) ? data : NULL;
		if (k < 3 && ev.kind == MODEL_EV_STORE)
			count = 1 + rnd(8);
	} else if (k < 15) {
		ev.kind = flushes[rnd(3)];
	} else if (k < 18) {
		ev.kind = fences[rnd(3)];
		ev.region = MODEL_REGION_ALL;
	} else if (k == 18) {
		ev.kind = rnd(2) ? MODEL_EV_MSYNC : MODEL_EV_SET_CLEAN;
	} else {
		ev.kind = MODEL_EV_FSYNC;
	}
	if (count > 1)
		assert_int_equal(model_apply_stores(a, &ev, count),
				model_apply_stores(b, &ev, count));
	else
		assert_int_equal(model_apply(a, &ev), model_apply(b, &ev));
}

static void
run(bool contents, uint64_t seed)
{
	rng_state = seed;
	struct model *a = pair_new(contents, true);
	struct model *b = pair_new(contents, false);
	for (int step = 0; step < 4000; step++) {
		event_both(a, b);
		same_step(a, b);
		assert_int_equal(a->nthreads, b->nthreads);
	}
	same_end(a, b);
}

static void
test_short_paths_findings_mode(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 12; seed++)
		run(false, seed);
}

static void
test_short_paths_content_mode(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		run(true, seed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_paths_findings_mode),
		cmocka_unit_test(test_short_paths_content_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
