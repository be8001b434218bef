/*
 * test_shim_batch.c -- a persist's held events (core/shim_batch.c) reach
 * the model as they came: random persists, their stores, exact sites,
 * flush and fence, sometimes with another event between them (a store
 * out of order or of another thread, a traced one, another flush, a
 * fence before the flush, a look at the model) or never fenced, go to
 * one model through the batch and to another one by one; the two must
 * agree after every persist
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model_impl.h"
#include "model_same.h"
#include "shim_batch.h"

#define TB_LINE 64
#define LINES 256
#define TID 1

static struct model *batched; /* the model behind the fake door */
static struct shim_batch_lines lines;

/* the door of core/shim_state.c, as it calls the batch */
static void
shim_emit_locked(const struct model_event *ev)
{
	if (shim_batch_on && shim_batch_take(batched, ev))
		return;
	(void)model_apply(batched, ev);
}

static void
site_exact(uint32_t region, uint64_t off, uint32_t site)
{
	if (shim_batch_on && shim_batch_site_exact(region, off, site))
		return;
	model_store_site_exact(batched, region, off, site);
}

static struct model *
batch_model_new(void)
{
	return same_model_new(false, LINES * TB_LINE);
}

/* both -- ev through the door and to the plain model */
static void
both(struct model *plain, const struct model_event *ev)
{
	shim_emit_locked(ev);
	(void)model_apply(plain, ev);
}

/* stray -- an event that is not the persist's (or not in its order) */
static void
stray(struct model *plain, uint32_t line)
{
	static uint8_t data[8];
	struct model_event ev = { .kind = MODEL_EV_STORE, .tid = TID,
		.site = 1 + rnd(50), .off = (uint64_t)rnd(LINES) * TB_LINE,
		.len = TB_LINE };
	switch (rnd(5)) {
	case 0: /* a store before the last one stored */
		ev.off = (uint64_t)(line ? rnd(line) : 0) * TB_LINE;
		break;
	case 1:
		ev.tid = TID + 1;
		break;
	case 2:
		ev.data = data;
		ev.len = sizeof(data);
		break;
	case 3:
		ev.kind = MODEL_EV_CLWB;
		break;
	default: /* a look at the model */
		if (shim_batch_held(TID))
			shim_batch_spill(batched);
		return;
	}
	both(plain, &ev);
}

/* lines_at_once -- the stores of k lines from line `from` on (some past the
 * persist's end at `end`, or before a line stored already) in one call
 * (shim_batch_take_lines), and the plain model the k stores and exact
 * sites one by one; when the batch does not take them all, the door
 * gets them one by one too (as shim_dirty_held.c does); the lines from
 * `from` on that were stored (1 at least) */
static unsigned taken_at_once, refused_at_once;

static uint32_t
lines_at_once(struct model *plain, uint32_t from, uint32_t end)
{
	uint32_t k = 1 + rnd(64), sites[64], l = from;
	uint64_t exact = 0;
	if (rnd(6) == 0 && l > 0)
		l -= 1 + rnd(l < 4 ? l : 4); /* out of order: refused */
	if (l + k > LINES)
		k = LINES - l;
	(void)end; /* past it: refused */
	for (uint32_t j = 0; j < k; j++) {
		sites[j] = 1 + rnd(50);
		exact |= (uint64_t)rnd(2) << j;
	}
	bool taken = shim_batch_take_lines(TID, 0, (uint64_t)l * TB_LINE, k,
			sites, exact);
	taken ? taken_at_once++ : refused_at_once++;
	for (uint32_t j = 0; j < k; j++) {
		struct model_event st = { .kind = MODEL_EV_STORE, .tid = TID,
			.site = sites[j], .region = 0,
			.off = (uint64_t)(l + j) * TB_LINE, .len = TB_LINE };
		bool ex = (exact >> j) & 1;
		if (taken) {
			(void)model_apply(plain, &st);
		} else {
			both(plain, &st);
			if (ex)
				site_exact(0, st.off, st.site);
		}
		if (ex)
			model_store_site_exact(plain, 0, st.off, st.site);
	}
	return l + k > from ? l + k - from : 1;
}

/* persist -- one persist of a random range, some of its lines stored */
static void
persist(struct model *plain)
{
	uint32_t line = rnd(LINES), n = 1 + rnd(LINES - line);
	uint64_t off = (uint64_t)line * TB_LINE, len = (uint64_t)n * TB_LINE;
	bool strays = rnd(3) == 0;
	assert_true(shim_batch_begin(&lines, TID, 0, off, len, 6));
	for (uint32_t l = line; l < line + n; l++) {
		if (strays && rnd(16) == 0)
			stray(plain, l);
		if (rnd(8) == 0) {
			l += lines_at_once(plain, l, line + n) - 1;
			continue;
		}
		if (rnd(3) == 0)
			continue;
		struct model_event st = { .kind = MODEL_EV_STORE, .tid = TID,
			.site = 1 + rnd(50), .region = 0,
			.off = (uint64_t)l * TB_LINE, .len = TB_LINE };
		both(plain, &st);
		if (rnd(2)) {
			site_exact(0, st.off, st.site);
			model_store_site_exact(plain, 0, st.off, st.site);
		}
	}
	struct model_event fl = { .kind = rnd(2) ? MODEL_EV_CLWB :
		MODEL_EV_CLFLUSHOPT, .tid = TID, .site = 1 + rnd(50),
		.region = 0, .off = off, .len = len };
	struct model_event fe = { .kind = MODEL_EV_SFENCE, .tid = TID,
		.site = fl.site, .region = MODEL_REGION_ALL };
	if (strays && rnd(4) == 0)
		both(plain, &fe); /* a fence before the flush */
	both(plain, &fl);
	if (strays && rnd(2))
		stray(plain, line + n);
	if (rnd(8))
		both(plain, &fe);
	if (shim_batch_on)
		shim_batch_spill(batched); /* shim_emit_batch_end */
	assert_false(shim_batch_on);
}

static void
test_batch_as_events(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		rng_state = seed;
		batched = batch_model_new();
		struct model *plain = batch_model_new();
		for (int step = 0; step < 400; step++) {
			persist(plain);
			same(plain, batched);
			struct model_stats sa, sb;
			model_stats(plain, &sa);
			model_stats(batched, &sb);
			assert_int_equal(sa.events, sb.events);
		}
		struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0,
			MODEL_REGION_ALL, 0, 0, NULL };
		both(plain, &sd);
		same_findings(plain, batched);
		model_delete(plain);
		model_delete(batched);
	}
	assert_true(taken_at_once > 500 && refused_at_once > 100);
}

/* a range of more lines than the batch holds is not batched */
static void
test_batch_too_long(void **state)
{
	(void)state;
	assert_false(shim_batch_begin(&lines, TID, 0, 0,
			SHIM_BATCH_LINES * 64ull + 1, 6));
	assert_false(shim_batch_on);
	assert_true(shim_batch_begin(&lines, TID, 0, 64,
			SHIM_BATCH_LINES * 64ull, 6));
	assert_true(shim_batch_held(TID));
	assert_false(shim_batch_held(TID + 1));
	batched = batch_model_new();
	shim_batch_spill(batched);
	assert_false(shim_batch_on);
	model_delete(batched);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_as_events),
		cmocka_unit_test(test_batch_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
