/*
 * test_model_persist_run.c -- model_apply_persist_run against the events
 * it stands for (persist_run.c): random events and persist runs applied
 * to two models, one taking each run as its stores, flush and fence one
 * by one, the other in one call; their lines, open lines, outcomes, event
 * counts and findings must agree after every step. Runs cover lines
 * durable or open, dirty or not, in flight on this thread or another,
 * a pending clflush, flushes past a short region's end and every flush
 * and fence kind (the walk and its fallback), and a range persisted
 * again and again (its durable lines walked in a row, walk_durable)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model_impl.h"
#include "model_same.h"

#define PR_LINE 64
#define LINES 256
#define RUN_MAX 80 /* lines of a run */
#define SHORT_TAIL 24 /* region 1 ends that short of a whole line */

/* one_by_one -- what the run stands for, as events */
static int
one_by_one(struct model *m, const struct model_persist_run *p)
{
	uint64_t first = p->off / PR_LINE, last = (p->off + p->len - 1) /
		PR_LINE;
	for (uint64_t n = first; n <= last; n++) {
		uint64_t i = n - first;
		if (!((p->stored[i / 64] >> (i % 64)) & 1))
			continue;
		struct model_event st = { .kind = MODEL_EV_STORE,
			.tid = p->tid, .site = p->sites[i],
			.region = p->region, .off = n * PR_LINE,
			.len = PR_LINE };
		(void)model_apply(m, &st);
		if ((p->exact[i / 64] >> (i % 64)) & 1)
			model_store_site_exact(m, p->region, st.off,
					p->sites[i]);
	}
	struct model_event fl = { .kind = p->flush, .tid = p->tid,
		.site = p->flush_site, .region = p->region, .off = p->off,
		.len = p->len };
	struct model_event fe = { .kind = p->fence, .tid = p->tid,
		.site = p->fence_site, .region = MODEL_REGION_ALL };
	int rc = model_apply(m, &fl), rc_fence = model_apply(m, &fe);
	return rc != 0 ? rc : rc_fence;
}

static const enum model_ev flushes[] = { MODEL_EV_CLWB, MODEL_EV_CLWB,
	MODEL_EV_CLFLUSHOPT, MODEL_EV_CLFLUSH };
static const enum model_ev fences[] = { MODEL_EV_SFENCE, MODEL_EV_MFENCE,
	MODEL_EV_LOCKED };

/* persist_both -- a random run, one by one to a and in one call to b;
 * whether b could walk it (findings mode, the range's lines touched) */
static bool
persist_both(struct model *a, struct model *b)
{
	static uint32_t sites[RUN_MAX];
	static uint64_t stored[RUN_MAX / 64 + 1], exact[RUN_MAX / 64 + 1];
	static uint32_t last_line, last_n = 1;
	uint32_t line = rnd(LINES), n = 1 + rnd(RUN_MAX);
	if (rnd(3) == 0) /* the last range again: its lines durable, in a
	                  * row in the table when first touched by a run */
		line = last_line, n = last_n;
	if (n > LINES - line)
		n = LINES - line;
	last_line = line, last_n = n;
	uint32_t dense = rnd(4); /* 0: few lines stored, 3: all */
	memset(stored, 0, sizeof(stored));
	memset(exact, 0, sizeof(exact));
	for (uint32_t i = 0; i < n; i++) {
		sites[i] = 1 + rnd(50);
		if (dense == 3 || rnd(4) < dense)
			stored[i / 64] |= 1ull << (i % 64);
		if (rnd(2))
			exact[i / 64] |= 1ull << (i % 64);
	}
	struct model_persist_run p = { .tid = 1 + rnd(3),
		.region = rnd(2), .off = (uint64_t)line * PR_LINE,
		.len = (uint64_t)n * PR_LINE, .flush = flushes[rnd(4)],
		.fence = fences[rnd(3)], .flush_site = 1 + rnd(50),
		.fence_site = 1 + rnd(50), .sites = sites, .stored = stored,
		.exact = exact };
	uint32_t head = rnd(PR_LINE), tail = rnd(PR_LINE);
	if (rnd(4) == 0 && p.len > head + tail) { /* not line aligned */
		p.off += head;
		p.len -= head + tail;
	}
	assert_int_equal(model_apply_persist_run(b, &p), one_by_one(a, &p));
	return !a->cfg.contents && n < a->nlines;
}

/* run -- one seed; how many runs the walk could take */
static unsigned
run(bool contents, uint64_t seed)
{
	rng_state = seed;
	struct model *a = same_model_two(contents, LINES, SHORT_TAIL);
	struct model *b = same_model_two(contents, LINES, SHORT_TAIL);
	unsigned walkable = 0;
	for (int step = 0; step < 3000; step++) {
		uint32_t k = rnd(10);
		if (k < 7)
			same_event(a, b, k, LINES);
		else
			walkable += persist_both(a, b);
		same_step(a, b);
	}
	same_end(a, b);
	return walkable;
}

static void
test_persist_run_findings_mode(void **state)
{
	(void)state;
	unsigned walkable = 0;
	for (uint64_t seed = 1; seed <= 8; seed++)
		walkable += run(false, seed);
	assert_true(walkable > 1000);
}

static void
test_persist_run_content_mode(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		run(true, seed);
}

static void
no_finding(void *ctx, const struct model_finding *f)
{
	(void)ctx, (void)f;
	fail();
}

/* test_persist_run_durable_again -- a durable line persisted again: one
 * version more, the flush's site, closed, no finding */
static void
test_persist_run_durable_again(void **state)
{
	(void)state;
	struct model *m = same_model_two(false, LINES, SHORT_TAIL);
	uint32_t sites[2] = { 7, 8 };
	uint64_t stored = 3, exact = 1;
	struct model_persist_run p = { .tid = 1, .region = 0, .off = 0,
		.len = 2 * PR_LINE, .flush = MODEL_EV_CLWB,
		.fence = MODEL_EV_SFENCE, .flush_site = 9, .fence_site = 9,
		.sites = sites, .stored = &stored, .exact = &exact };
	for (int pass = 1; pass <= 3; pass++) {
		assert_int_equal(model_apply_persist_run(m, &p), 0);
		assert_int_equal(m->nopen, 0);
		assert_int_equal(m->lines[0].vcount, pass);
		assert_int_equal(m->lines[1].flush_site, 9);
		assert_int_equal(m->lines[0].dirty_untraced, 0);
		assert_int_equal(m->lines[1].dirty_untraced, 1);
	}
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	assert_int_equal(model_apply(m, &sd), 0);
	assert_int_equal(model_findings(m, no_finding, NULL), 0);
	model_delete(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_persist_run_findings_mode),
		cmocka_unit_test(test_persist_run_content_mode),
		cmocka_unit_test(test_persist_run_durable_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
