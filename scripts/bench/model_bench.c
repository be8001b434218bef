/*
 * model_bench.c -- model events per second and model bytes per touched
 * line (issue: >= 20 million store events/s, <= 128 bytes per line)
 *
 * usage: model_bench [millions of stores]   (default 50)
 *        model_bench walk LINES PASSES persist|open
 *        model_bench raw LINES PASSES
 * walk: only LINES lines walked PASSES times, 8 stores per line, then a
 * clwb and an sfence (persist) or none (open), for a cache simulator
 * (valgrind --tool=cachegrind --cache-sim=yes): misses per line visit
 * raw: the event stream the raw program (bench_store.c -DBENCH_RAW) gives
 * the model: per line its 8 word stores merged in one event
 * (model_apply_stores), a clwb, an sfence every 8 lines; CPU per line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct model *
new_model(bool contents)
{
	struct model_config *cfg = model_config_new();
	model_config_set_contents(cfg, contents);
	struct model *m = model_new(cfg, NULL, NULL);
	model_config_delete(cfg);
	model_region_add(m, 0, 64ull << 30, MODEL_DOMAIN_ADR);
	return m;
}

/* store8 -- an 8-byte store at off (thread 1, site 1) */
static inline void
store8(struct model *m, uint64_t off)
{
	struct model_event st = { MODEL_EV_STORE, 1, 1, 0, off, 8, NULL };
	model_apply(m, &st);
}

/* persist_line -- a clwb of the line at off, then an sfence */
static inline void
persist_line(struct model *m, uint64_t off)
{
	struct model_event fl = { MODEL_EV_CLWB, 1, 2, 0, off & ~63ull, 64,
		NULL };
	struct model_event fe = { MODEL_EV_SFENCE, 1, 3, 0, 0, 0, NULL };
	model_apply(m, &fl);
	model_apply(m, &fe);
}

/* stores -- n 8-byte stores walking `lines` lines, a persist per line */
static double
stores(uint64_t n, uint64_t lines, bool persist)
{
	struct model *m = new_model(false);
	uint64_t events = 0;
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = (i % (lines * 8)) * 8;
		store8(m, off);
		events++;
		if (persist && (i & 7) == 7) {
			persist_line(m, off);
			events += 2;
		}
	}
	double dt = now() - t0;
	model_delete(m);
	return (double)events / dt;
}

/* bytes_per_line -- a store to each of `lines` lines, then a clwb and an
 * sfence if `persist` (the line durable again) */
static void
bytes_per_line(uint64_t lines, bool persist)
{
	struct model *m = new_model(false);
	for (uint64_t i = 0; i < lines; i++) {
		uint64_t off = i * 4096 + (i % 64) * 64; /* sparse: 64 GiB */
		store8(m, off);
		if (persist)
			persist_line(m, off);
	}
	struct model_stats s;
	model_stats(m, &s);
	printf("model bytes per touched line (%llu lines, 64 GiB region, %s): %.1f\n",
			(unsigned long long)s.lines,
			persist ? "persisted" : "left open",
			(double)s.bytes / (double)s.lines);
	model_delete(m);
}

/* walk -- the line-visit loop alone (see usage) */
static int
walk(uint64_t lines, uint64_t passes, bool persist)
{
	struct model *m = new_model(false);
	for (uint64_t p = 0; p < passes; p++) {
		for (uint64_t l = 0; l < lines; l++) {
			for (uint64_t w = 0; w < 8; w++)
				store8(m, l * 64 + w * 8);
			if (persist)
				persist_line(m, l * 64);
		}
	}
	struct model_stats s;
	model_stats(m, &s);
	printf("%llu line visits, %llu lines\n",
			(unsigned long long)(lines * passes),
			(unsigned long long)s.lines);
	model_delete(m);
	return 0;
}

/* raw -- the raw program's event stream alone (see usage) */
static int
raw(uint64_t lines, uint64_t passes)
{
	struct model *m = new_model(false);
	uint8_t bytes[64] = { 0 };
	double t0 = now();
	for (uint64_t p = 0; p < passes; p++) {
		for (uint64_t l = 0; l < lines; l++) {
			struct model_event st = { MODEL_EV_STORE, 1, 1, 0,
				l * 64, 64, bytes };
			struct model_event fl = { MODEL_EV_CLWB, 1, 2, 0,
				l * 64, 64, NULL };
			struct model_event fe = { MODEL_EV_SFENCE, 1, 3, 0,
				0, 0, NULL };
			model_apply_stores(m, &st, 8);
			model_apply(m, &fl);
			if ((l & 7) == 7)
				model_apply(m, &fe);
		}
	}
	double dt = now() - t0;
	printf("raw: %llu line visits, %.1f ns each, %zu findings\n",
			(unsigned long long)(lines * passes),
			dt * 1e9 / (double)(lines * passes),
			model_findings(m, NULL, NULL));
	model_delete(m);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "raw") == 0)
		return raw(strtoull(argv[2], NULL, 10),
				strtoull(argv[3], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "walk") == 0)
		return walk(strtoull(argv[2], NULL, 10),
				strtoull(argv[3], NULL, 10),
				strcmp(argv[4], "persist") == 0);
	uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 50) * 1000000ull;
	printf("store events/s, 4 KiB hot set (64 lines):      %.1f M\n",
			stores(n, 64, false) / 1e6);
	printf("store events/s, 64 MiB working set (1M lines): %.1f M\n",
			stores(n, 1u << 20, false) / 1e6);
	printf("store+clwb+sfence events/s, 16 MiB (256K lines): %.1f M\n",
			stores(n, 1u << 18, true) / 1e6);
	bytes_per_line(10, false);
	bytes_per_line(1u << 20, false);
	bytes_per_line(1u << 20, true);
	return 0;
}
