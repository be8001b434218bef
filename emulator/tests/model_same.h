/*
 * model_same.h -- the cmocka tests that feed two models the same random
 * work in two ways: the models, the random numbers, and the checks that
 * their lines, open lines, outcomes and findings agree (static inline:
 * a test need not use them all)
 */
#ifndef PMEMU_MODEL_SAME_H
#define PMEMU_MODEL_SAME_H 1

#include "model_impl.h"
#include "model_scenario.h"

#ifndef SAME_LINES_MAX
#define SAME_LINES_MAX 256
#endif

static uint64_t rng_state;

static inline uint32_t
rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33) % n;
}

/* same_model_new -- an adr model, contents tracked or not, with region
 * 0 of len bytes */
static inline struct model *
same_model_new(bool contents, uint64_t len)
{
	return sc_new_mode(MODEL_DOMAIN_ADR, len, false, 512, contents);
}

/* same_model_two -- same_model_new's region 0 of nlines 64-byte lines,
 * and region 1, cxl, short_tail bytes short of as many */
static inline struct model *
same_model_two(bool contents, uint32_t nlines, uint32_t short_tail)
{
	struct model *m = same_model_new(contents, (uint64_t)nlines * 64);
	assert_int_equal(model_region_add(m, 1, (uint64_t)nlines * 64 -
			short_tail, MODEL_DOMAIN_CXL), 0);
	return m;
}

/* same_event -- one random event to both models (k < 7: a store, plain
 * or not, traced or not, k < 4; a clwb or clflush of a line, k < 6; a
 * fence), in region 0 or 1 of same_model_two, the same result */
static inline void
same_event(struct model *a, struct model *b, uint32_t k, uint32_t nlines)
{
	static uint8_t data[64];
	uint32_t line = rnd(nlines);
	struct model_event ev = { .tid = 1 + rnd(3), .site = 1 + rnd(50),
		.region = rnd(2), .off = (uint64_t)line * 64 };
	if (k < 4) {
		ev.kind = k == 3 ? MODEL_EV_NT_STORE : MODEL_EV_STORE;
		ev.off += rnd(64 / 8) * 8;
		ev.len = 8;
		memset(data, (int)rnd(256), sizeof(data));
		ev.data = k == 3 || rnd(2) ? data : NULL;
	} else if (k < 6) {
		ev.kind = k == 4 ? MODEL_EV_CLWB : MODEL_EV_CLFLUSH;
		ev.len = 64;
	} else {
		ev.kind = MODEL_EV_SFENCE;
		ev.region = MODEL_REGION_ALL;
		ev.off = 0;
	}
	assert_int_equal(model_apply(a, &ev), model_apply(b, &ev));
}

/* same_lines -- every line's state agrees but where its open state sits
 * and which write-back entries it uses (both follow the order lines were
 * settled in) */
static inline void
same_lines(const struct model *a, const struct model *b)
{
	assert_int_equal(a->nlines, b->nlines);
	assert_int_equal(a->dirty_closed, b->dirty_closed);
	for (uint32_t li = 0; li < a->nlines; li++) {
		struct line_state x = a->lines[li], y = b->lines[li];
		assert_int_equal(x.open_pos != 0, y.open_pos != 0);
		x.open_pos = y.open_pos = 0;
		assert_memory_equal(&x, &y, sizeof(x));
		if (a->lines[li].open_pos == 0)
			continue;
		struct open_line p = *line_open_of(a, li),
			q = *line_open_of(b, li);
		assert_int_equal(p.wb_head != 0, q.wb_head != 0);
		p.wb_head = q.wb_head = 0;
		assert_memory_equal(&p, &q, sizeof(p));
	}
}

/* same -- the two models' lines, open lines and outcomes agree */
static inline void
same(const struct model *a, const struct model *b)
{
	same_lines(a, b);
	static struct model_open_line la[SAME_LINES_MAX], lb[SAME_LINES_MAX];
	size_t na = model_open_lines(a, la, SAME_LINES_MAX);
	assert_int_equal(na, model_open_lines(b, lb, SAME_LINES_MAX));
	for (size_t i = 0; i < na; i++) {
		assert_memory_equal(&la[i], &lb[i], sizeof(la[i]));
		struct model_outcome oa[64], ob[64];
		size_t n = model_line_outcomes(a, 0, la[i].off, MODEL_STRAT_ALL,
				oa, 64);
		assert_int_equal(n, model_line_outcomes(b, 0, lb[i].off,
				MODEL_STRAT_ALL, ob, 64));
		for (size_t k = 0; k < n && k < 64; k++) {
			assert_int_equal(oa[k].kind, ob[k].kind);
			assert_int_equal(oa[k].point, ob[k].point);
			assert_int_equal(oa[k].pieces, ob[k].pieces);
		}
	}
}

static inline void
collect_all(void *ctx, const struct model_finding *f)
{
	struct model_finding *out = ctx;
	for (size_t i = 0; i < 64; i++)
		if (out[i].cls == 0) {
			out[i] = *f;
			return;
		}
}

/* same_findings -- a's findings are b's, in the same order */
static inline void
same_findings(const struct model *a, const struct model *b)
{
	struct model_finding fa[64], fb[64];
	memset(fa, 0, sizeof(fa));
	memset(fb, 0, sizeof(fb));
	assert_int_equal(model_findings(a, collect_all, fa),
			model_findings(b, collect_all, fb));
	assert_memory_equal(fa, fb, sizeof(fa));
}

/* same_step -- same, and the two models counted as many events */
static inline void
same_step(const struct model *a, const struct model *b)
{
	same(a, b);
	struct model_stats sa, sb;
	model_stats(a, &sa);
	model_stats(b, &sb);
	assert_int_equal(sa.events, sb.events);
}

/* same_end -- both models shut down cleanly, the same findings; freed */
static inline void
same_end(struct model *a, struct model *b)
{
	struct model_event sd = { MODEL_EV_SHUTDOWN, 0, 0, MODEL_REGION_ALL,
		0, 0, NULL };
	assert_int_equal(model_apply(a, &sd), model_apply(b, &sd));
	same_findings(a, b);
	model_delete(a);
	model_delete(b);
}

#endif
