/*
 * test_model_line_persists.c -- model_apply_line_persists against the
 * events it stands for (line_persists.c): random events and windows of
 * line persists applied to two models, one taking each window's stores,
 * flushes and fence one by one, the other in one call; their lines, open
 * lines, outcomes, event counts and findings must agree after every
 * step. Windows repeat lines, meet lines dirty from before, in flight on
 * another thread or this one, a pending clflush, a region's short last
 * line, a line flushed with no store, and both flush kinds (the short
 * path and its fallback)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model_impl.h"
#include "model_same.h"

#define LP_LINE 64
#define LINES 256
#define WINDOW_MAX 24 /* lines of a window */
#define SHORT_TAIL 24 /* region 1 ends that short of a whole line */

/* one_by_one -- what the window stands for, as events */
static int
one_by_one(struct model *m, const struct model_line_persists *p)
{
	int rc = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct model_line_persist *l = &p->lines[i];
		int r1 = 0;
		if (l->count != 0) {
			struct model_event st = { .kind = MODEL_EV_STORE,
				.tid = p->tid, .site = l->site,
				.region = l->region, .off = l->off,
				.len = l->len, .data = l->data };
			r1 = l->count == 1 ? model_apply(m, &st) :
				model_apply_stores(m, &st, l->count);
		}
		struct model_event fl = { .kind = l->flush, .tid = p->tid,
			.site = l->flush_site, .region = l->region,
			.off = l->flush_off, .len = LP_LINE };
		int r2 = model_apply(m, &fl);
		rc = rc != 0 ? rc : r1 != 0 ? r1 : r2;
	}
	struct model_event fe = { .kind = p->fence, .tid = p->tid,
		.site = p->fence_site, .region = MODEL_REGION_ALL };
	int r3 = model_apply(m, &fe);
	return rc != 0 ? rc : r3;
}

static const enum model_ev flushes[] = { MODEL_EV_CLWB, MODEL_EV_CLWB,
	MODEL_EV_CLFLUSHOPT, MODEL_EV_CLWB, MODEL_EV_CLFLUSHOPT,
	MODEL_EV_CLFLUSH };
static const enum model_ev fences[] = { MODEL_EV_SFENCE, MODEL_EV_MFENCE,
	MODEL_EV_LOCKED };

/* random_line -- line i of a window: a line in a row, the last again, or
 * anywhere; stores within it (or none), its flush */
static void
random_line(struct model_line_persist *l, const struct model_line_persist *prev,
		uint32_t region, bool contents)
{
	static uint8_t data[LP_LINE];
	uint64_t line = rnd(LINES);
	uint32_t how = rnd(8);
	if (prev != NULL && how < 4)
		line = prev->flush_off / LP_LINE + 1;
	else if (prev != NULL && how < 5)
		line = prev->flush_off / LP_LINE;
	if (line >= LINES)
		line = LINES - 1;
	l->region = region;
	l->flush_off = line * LP_LINE;
	l->flush = flushes[rnd(6)];
	l->flush_site = 1 + rnd(50);
	l->site = 1 + rnd(50);
	uint32_t size = 1u << rnd(4); /* 1..8 bytes a store */
	uint32_t at = rnd(LP_LINE / size) * size;
	uint32_t most = (LP_LINE - at) / size;
	l->count = rnd(10) == 0 ? 0 : 1 + rnd(most);
	if (contents && l->count > 1)
		l->count = 1; /* content mode takes a store as one version */
	l->off = l->flush_off + at;
	l->len = (uint64_t)size * (l->count ? l->count : 1);
	memset(data, (int)rnd(256), sizeof(data));
	l->data = rnd(8) == 0 ? NULL : data;
}

/* window_both -- a random window, one by one to a and in one call to b */
static void
window_both(struct model *a, struct model *b)
{
	static struct model_line_persist lines[WINDOW_MAX];
	uint32_t n = 1 + rnd(WINDOW_MAX), region = rnd(3) == 0;
	for (uint32_t i = 0; i < n; i++)
		random_line(&lines[i], i ? &lines[i - 1] : NULL, region,
				a->cfg.contents);
	struct model_line_persists p = { .tid = 1 + rnd(3), .n = n,
		.lines = lines, .fence = fences[rnd(3)],
		.fence_site = 1 + rnd(50) };
	assert_int_equal(model_apply_line_persists(b, &p), one_by_one(a, &p));
}

/* run -- one seed */
static void
run(bool contents, uint64_t seed)
{
	rng_state = seed;
	struct model *a = same_model_two(contents, LINES, SHORT_TAIL);
	struct model *b = same_model_two(contents, LINES, SHORT_TAIL);
	for (int step = 0; step < 3000; step++) {
		uint32_t k = rnd(10);
		if (k < 7)
			same_event(a, b, k, LINES);
		else
			window_both(a, b);
		same_step(a, b);
		same_findings(a, b);
	}
	same_end(a, b);
}

static void
test_line_persists_findings_mode(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++)
		run(false, seed);
}

static void
test_line_persists_content_mode(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		run(true, seed);
}

/* test_line_persists_durable_again -- lines stored, flushed and fenced
 * again and again: one version a store, the flush's site, closed, no
 * write-back or open line left, no finding */
static void
test_line_persists_durable_again(void **state)
{
	(void)state;
	struct model *m = same_model_two(false, LINES, SHORT_TAIL);
	static const uint8_t data[LP_LINE];
	struct model_line_persist lines[2] = {
		{ .region = 0, .off = 0, .len = 64, .data = data, .count = 8,
		  .site = 7, .flush = MODEL_EV_CLWB, .flush_off = 0,
		  .flush_site = 9 },
		{ .region = 0, .off = 64, .len = 64, .data = data,
		  .count = 8, .site = 7, .flush = MODEL_EV_CLFLUSHOPT,
		  .flush_off = 64, .flush_site = 10 },
	};
	struct model_line_persists p = { .tid = 1, .n = 2, .lines = lines,
		.fence = MODEL_EV_SFENCE, .fence_site = 11 };
	for (int pass = 1; pass <= 3; pass++) {
		assert_int_equal(model_apply_line_persists(m, &p), 0);
		assert_int_equal(m->nopen, 0);
		assert_int_equal(m->lines[0].vcount, 8 * pass);
		assert_int_equal(m->lines[1].flush_site, 10);
		assert_int_equal(m->lines[1].dirty, 0);
		assert_int_equal(m->events, 19 * pass);
	}
	assert_int_equal(m->nwbs, 1); /* never a write-back: [0] unused */
	struct model_finding f[4];
	memset(f, 0, sizeof(f));
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	assert_int_equal(model_apply(m, &sd), 0);
	assert_int_equal(model_findings(m, collect_all, f), 0);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_persists_findings_mode),
		cmocka_unit_test(test_line_persists_content_mode),
		cmocka_unit_test(test_line_persists_durable_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
