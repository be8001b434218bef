/* model_scenario.h -- tiny event scenarios for the model's cmocka tests */
#ifndef MODEL_SCENARIO_H
#define MODEL_SCENARIO_H 1

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"

#define SC_LINE 64
#define SC_MAX 512

/* media starts as zeros, so a byte value names the store that wrote it */
static inline void
sc_media_zero(void *ctx, uint32_t region, uint64_t off, uint8_t *buf,
		uint32_t len)
{
	(void)ctx;
	(void)region;
	(void)off;
	memset(buf, 0, len);
}

/* sc_new_mode -- a model of domain d, contents tracked or not, with
 * region 0 of region_len bytes */
static inline struct model *
sc_new_mode(enum model_domain d, uint64_t region_len, bool weak,
		uint32_t sector, bool contents)
{
	struct model_config *cfg = model_config_new();
	model_config_set_domain(cfg, d);
	model_config_set_contents(cfg, contents);
	model_config_set_clflush_weak(cfg, weak);
	model_config_set_sector(cfg, sector);
	struct model *m = model_new(cfg, sc_media_zero, NULL);
	model_config_delete(cfg);
	assert_int_equal(model_region_add(m, 0, region_len, d), 0);
	return m;
}

static inline struct model *
sc_new(enum model_domain d, uint64_t region_len, bool weak, uint32_t sector)
{
	return sc_new_mode(d, region_len, weak, sector, true);
}

static inline void
sc_ev(struct model *m, enum model_ev k, uint32_t tid, uint64_t off,
		uint64_t len)
{
	struct model_event ev = { k, tid, 100 + tid, 0, off, len, NULL };
	assert_int_equal(model_apply(m, &ev), 0);
}

/* sc_store -- a traced store of len bytes of value `val` */
static inline void
sc_store_kind(struct model *m, enum model_ev k, uint32_t tid, uint32_t site,
		uint64_t off, uint64_t len, uint8_t val)
{
	uint8_t buf[4096];
	memset(buf, val, len);
	struct model_event ev = { k, tid, site, 0, off, len, buf };
	assert_int_equal(model_apply(m, &ev), 0);
}

static inline void
sc_store(struct model *m, uint32_t tid, uint64_t off, uint64_t len,
		uint8_t val)
{
	sc_store_kind(m, MODEL_EV_STORE, tid, 1, off, len, val);
}

/* sc_images -- every content of the line at off under strategies, as
 * strings of the line's bytes ("." for 0, else the byte as a letter/digit),
 * one per outcome, in model order */
static inline size_t
sc_images(struct model *m, uint64_t off, unsigned strat, uint32_t line,
		char out[][SC_MAX + 1], size_t max)
{
	struct model_outcome o[600];
	size_t n = model_line_outcomes(m, 0, off, strat, o, 600);
	assert_true(n <= 600 && n <= max);
	uint8_t buf[4096];
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(model_outcome_content(m, 0, off, &o[i], buf), 0);
		uint32_t step = line / (line > SC_MAX ? SC_MAX : line);
		size_t k = 0;
		for (uint32_t b = 0; b < line; b += step)
			out[i][k++] = buf[b] ? (char)buf[b] : '.';
		out[i][k] = '\0';
	}
	return n;
}

/* sc_rle -- expand "A8.56" (8 'A', 56 '.') into a line string */
static inline void
sc_rle(const char *spec, char *out)
{
	size_t k = 0;
	while (*spec) {
		char c = *spec++;
		unsigned long n = 0;
		while (*spec >= '0' && *spec <= '9')
			n = n * 10 + (unsigned long)(*spec++ - '0');
		for (unsigned long i = 0; i < (n ? n : 1) && k < SC_MAX; i++)
			out[k++] = c;
	}
	out[k] = '\0';
}

/* sc_expect -- the outcomes of a line are exactly `want` (in order) */
static inline void
sc_expect_line(struct model *m, uint64_t off, unsigned strat, uint32_t line,
		const char *const *want, size_t nwant)
{
	static char got[600][SC_MAX + 1];
	size_t n = sc_images(m, off, strat, line, got, 600);
	char exp[SC_MAX + 1];
	for (size_t i = 0; i < n && i < nwant; i++) {
		sc_rle(want[i], exp);
		assert_string_equal(got[i], exp);
	}
	assert_int_equal(n, nwant);
}

static inline void
sc_expect(struct model *m, uint64_t off, unsigned strat,
		const char *const *want, size_t nwant)
{
	sc_expect_line(m, off, strat, SC_LINE, want, nwant);
}

#define SC_EXPECT(m, off, strat, ...) do { \
	const char *const w_[] = { __VA_ARGS__ }; \
	sc_expect(m, off, strat, w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)

/* a line of 64 bytes: first n bytes c, the rest d */
#define L8(a, b, c, d, e, f, g, h) a b c d e f g h

#endif
