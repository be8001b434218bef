/*
 * model.h -- the persistency model of MODEL.md: events in, state,
 * crash outcomes and findings out
 *
 * Pure C: no syscalls, no I/O, no global state. Addresses are region
 * relative (a region is one emulated file: its media); callers translate
 * virtual addresses (the shim) or read them from a trace (the explorer).
 *
 * Two uses:
 *  - findings (pmemu run): contents are not tracked; O(1) per store and
 *    a few dozen bytes per touched line;
 *  - contents (the explorer, the differential test): the model keeps each
 *    touched line's durable content and the history of its contents since
 *    then, and enumerates the outcomes a power failure may leave per line
 *    (MODEL.md, "The crash-state space").
 */
#ifndef PMEMU_MODEL_H
#define PMEMU_MODEL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct model;
struct model_config;

enum model_domain {
	MODEL_DOMAIN_ADR = 0,
	MODEL_DOMAIN_EADR = 1,
	MODEL_DOMAIN_PAGECACHE = 2,
	/* CXL persistent memory: adr while running; at a crash Global
	 * Persistent Flush either writes every line's view back or fails
	 * (docs/model.md, "cxl") */
	MODEL_DOMAIN_CXL = 3,
};
#define MODEL_DOMAINS 4

/* event kinds; the trace records use the same numbers */
enum model_ev {
	MODEL_EV_STORE = 1,       /* data != NULL: traced; NULL: untraced */
	MODEL_EV_NT_STORE = 2,    /* non-temporal store of data */
	MODEL_EV_MOVDIR64B = 3,   /* atomic 64-byte non-temporal store */
	MODEL_EV_SNAPSHOT = 4,    /* data = the view of the line at off now */
	MODEL_EV_CLWB = 5,        /* flush the lines of [off, off+len) */
	MODEL_EV_CLFLUSHOPT = 6,
	MODEL_EV_CLFLUSH = 7,
	MODEL_EV_SFENCE = 8,
	MODEL_EV_MFENCE = 9,
	MODEL_EV_LOCKED = 10,     /* locked RMW / xchg / seq_cst store: fence */
	MODEL_EV_MSYNC = 11,      /* MS_SYNC of [off, off+len), page rounded */
	MODEL_EV_FSYNC = 12,      /* fsync/fdatasync: the whole region */
	MODEL_EV_SHUTDOWN = 13,   /* clean shutdown of [off, off+len) */
	MODEL_EV_FLUSH_OUTSIDE = 14, /* a flush of an address in no region */
	MODEL_EV_SET_CLEAN = 15,  /* the program says [off, off+len) need not
	                             persist (pmemcheck's VALGRIND_PMC_SET_CLEAN:
	                             libpmemobj's run-time state): durable as it
	                             is, no finding */
	MODEL_EV_MAX = 16,
};

#define MODEL_REGION_ALL UINT32_MAX /* SHUTDOWN/FSYNC of every region */

struct model_event {
	enum model_ev kind;
	uint32_t tid;     /* thread that did it */
	uint32_t site;    /* caller's site id, reported back in findings */
	uint32_t region;
	uint64_t off;     /* region-relative byte offset */
	uint64_t len;     /* bytes */
	const uint8_t *data; /* see enum model_ev; NULL when not applicable */
};

/* configuration: validating setters return 0 or -EINVAL */
struct model_config *model_config_new(void);
void model_config_delete(struct model_config *cfg);
int model_config_set_domain(struct model_config *cfg, enum model_domain d);
int model_config_set_line(struct model_config *cfg, uint32_t line_len);
int model_config_set_clflush_weak(struct model_config *cfg, bool weak);
int model_config_set_sector(struct model_config *cfg, uint32_t sector_len);
int model_config_set_contents(struct model_config *cfg, bool track);
/* history versions kept per line before intermediate ones are dropped */
int model_domain_parse(const char *s, enum model_domain *d);
const char *model_domain_name(enum model_domain d);

/*
 * In content mode the model asks for a line's initial media content the
 * first time the line is touched (the explorer reads the original file).
 */
typedef void (*model_media_read_fn)(void *ctx, uint32_t region, uint64_t off,
		uint8_t *buf, uint32_t len);

struct model *model_new(const struct model_config *cfg,
		model_media_read_fn media_read, void *media_ctx);
void model_delete(struct model *m);

/*
 * regions: one per emulated file; the domain may differ per region (a file
 * mapped without DAX is pagecache). len may grow (ftruncate).
 */
int model_region_add(struct model *m, uint32_t region, uint64_t len,
		enum model_domain d);
int model_region_resize(struct model *m, uint32_t region, uint64_t len);
uint32_t model_region_line(const struct model *m, uint32_t region);

/* apply one event; 0, or -EINVAL for a malformed event (unknown region...) */
int model_apply(struct model *m, const struct model_event *ev);
/* apply a STORE event that stands for `count` stores of one thread and
 * one site, contiguous within one line, as those stores one by one would
 * be (the shim's store log merges them); -EINVAL with contents (each
 * store is a version of the line there) or a range of several lines */
int model_apply_stores(struct model *m, const struct model_event *ev,
		uint32_t count);
const char *model_ev_name(enum model_ev k);

/*
 * a persist of a range by one thread, as the shim sees pmem_persist:
 * untraced STOREs of some of the range's lines (bit i of `stored`: the
 * i-th line from the one holding off, site sites[i]; bit i of `exact`:
 * model_store_site_exact after it), in address order, then the flush of
 * [off, off+len) (CLWB or CLFLUSHOPT, flush_site), then the fence of tid
 * (fence_site): exactly what those events one by one do, findings and
 * counts alike, in one walk of the range (persist_run.c)
 */
struct model_persist_run {
	uint32_t tid;
	uint32_t region;
	uint64_t off, len;
	enum model_ev flush, fence;
	uint32_t flush_site, fence_site;
	const uint32_t *sites;
	const uint64_t *stored, *exact; /* bitmaps, one bit a line */
};
int model_apply_persist_run(struct model *m,
		const struct model_persist_run *p);

/*
 * a window of one thread's line persists, as the shim's store log holds
 * them before that thread's fence: for each line in order, `count` traced
 * stores of one site, contiguous in [off, off+len) of the line at
 * flush_off (count 0: none), then the flush of that line (CLWB or
 * CLFLUSHOPT, flush_site); then the fence of tid (fence_site): exactly
 * what those events one by one do, findings and counts alike; a line
 * durable before its stores goes to durable again without a write-back
 * (line_persists.c)
 */
struct model_line_persist {
	uint32_t region;
	uint64_t off, len;        /* the stores' bytes, region relative */
	const uint8_t *data;      /* their bytes: traced stores */
	uint32_t count, site;
	enum model_ev flush;
	uint64_t flush_off;       /* the line's first byte */
	uint32_t flush_site;
};
struct model_line_persists {
	uint32_t tid;
	uint32_t n;               /* lines */
	const struct model_line_persist *lines;
	enum model_ev fence;
	uint32_t fence_site;
};
int model_apply_line_persists(struct model *m,
		const struct model_line_persists *p);

/* ---- findings ---- */
enum model_finding_class {
	MODEL_FIND_UNPERSISTED = 0, /* stores not durable at clean shutdown */
	MODEL_FIND_NO_FENCE = 1,    /* flush with no later fence of its thread */
	MODEL_FIND_REDUNDANT = 2,   /* flush of a line that was not dirty */
	MODEL_FIND_OUTSIDE = 3,     /* flush of a line in no region */
	MODEL_FIND_PAGECACHE_FLUSH = 4, /* CPU flush on a page-cache mapping */
	MODEL_FIND_TX_UNADDED = 5,  /* a store in a transaction to a range not
	                               added to it (judged by the caller) */
	MODEL_FIND_TX_ADD_LATE = 6, /* a store in a transaction to a range
	                               added to it only later (caller) */
	MODEL_FIND_MAX = 7,
};

struct model_finding {
	enum model_finding_class cls;
	uint32_t site;      /* site of the store (UNPERSISTED) or of the flush */
	uint64_t count;     /* stores / flushes */
	uint64_t lines;     /* lines found (UNPERSISTED, NO_FENCE); a line found
	                       at two clean shutdowns counts twice */
	uint32_t region;    /* first example */
	uint64_t off;
	uint32_t related;   /* TX_ADD_LATE: the site of the add that came
	                       after the store (first example); else 0 */
	bool guessed;       /* the site is that of the first store of the
	                       page seen by page protection (an untraced
	                       store), not necessarily the one made here */
};

const char *model_finding_name(enum model_finding_class c);
/* the untraced STORE just applied to the line at off of region had site
 * for its own (the caller knows: a page fault hit that line), so a
 * finding that names it is not a guess; nothing if the line's first
 * store since its last write-back is another */
void model_store_site_exact(struct model *m, uint32_t region, uint64_t off,
		uint32_t site);
/* a finding the caller judged (MODEL_FIND_TX_*), counted with the model's
 * own: f->count and f->lines add to those of (f->cls, f->site) */
void model_report(struct model *m, const struct model_finding *f);
/* calls fn for every (class, site) with a count, sorted by class then
 * count descending then site; returns the number of findings */
typedef void (*model_finding_fn)(void *ctx, const struct model_finding *f);
/* that order, for qsort over struct model_finding */
int model_finding_cmp(const void *a, const void *b);
size_t model_findings(const struct model *m, model_finding_fn fn, void *ctx);
/*
 * as model_findings, but only what was added since the last call, as
 * counts of the difference (a report per crash point and one at exit,
 * each finding in exactly one of them); returns how many
 */
size_t model_findings_take(struct model *m, model_finding_fn fn, void *ctx);

/* ---- crash outcomes (content mode) ---- */

enum model_outcome_kind {
	MODEL_OUT_LOST = 0,    /* nothing since the durable content arrived */
	MODEL_OUT_WB = 1,      /* in-flight write-back at `point` completed */
	MODEL_OUT_EVICT = 2,   /* evicted with the content at `point` */
	MODEL_OUT_TORN = 3,    /* the write at `point` arrived in part */
	MODEL_OUT_POISON = 4,  /* the write-back in flight left the line
	                          poisoned (a bad block); point 0 */
};

#define MODEL_STRAT_PESSIMISTIC 0u /* LOST only: always included */
#define MODEL_STRAT_INFLIGHT (1u << MODEL_OUT_WB)
#define MODEL_STRAT_EVICTION (1u << MODEL_OUT_EVICT)
#define MODEL_STRAT_TORN (1u << MODEL_OUT_TORN)
/* not in MODEL_STRAT_ALL: asked for by name (docs/explore.md) */
#define MODEL_STRAT_POISON (1u << MODEL_OUT_POISON)
#define MODEL_STRAT_ALL (MODEL_STRAT_INFLIGHT | MODEL_STRAT_EVICTION | \
		MODEL_STRAT_TORN)
/* the content a poisoned line's image holds (MODEL.md: not defined):
 * one fixed pattern, byte i of the line */
#define MODEL_POISON_BYTE(i) ((uint8_t)(0xa5u ^ (uint8_t)((i) * 29u)))

struct model_outcome {
	enum model_outcome_kind kind;
	uint32_t point;     /* history version, 1 = first since durable */
	uint64_t pieces;    /* TORN: which pieces of that write arrived */
};

/* a line that a crash now could leave in more than one state */
struct model_open_line {
	uint32_t region;
	uint64_t off;           /* line aligned */
	uint32_t versions;      /* history length since durable */
	bool dirty;             /* stores since the last snapshot */
	bool in_flight;         /* a write-back not yet fenced */
	bool unexplored;        /* some contents unknown (untraced stores) */
	uint32_t store_site;    /* first store not yet durable */
	uint32_t flush_site;    /* last flush of the line, 0 if none */
	uint32_t flush_tid;
};

/* the open lines, sorted by (region, off); returns how many (may exceed
 * max: call again with a bigger array) */
size_t model_open_lines(const struct model *m, struct model_open_line *out,
		size_t max);
/*
 * the outcomes of one line allowed by `strategies` (MODEL_STRAT_*), LOST
 * first, the rest in history order, POISON last; never an outcome whose
 * content is unknown; returns how many (may exceed max)
 */
size_t model_line_outcomes(const struct model *m, uint32_t region,
		uint64_t off, unsigned strategies, struct model_outcome *out,
		size_t max);
/* the content of the line after outcome o (POISON: the pattern of
 * MODEL_POISON_BYTE); 0 or -EINVAL */
int model_outcome_content(const struct model *m, uint32_t region,
		uint64_t off, const struct model_outcome *o, uint8_t *buf);
/* the site of the store that made history version `point` (1 = first
 * since durable) of the line at off; 0 if none (a snapshot, no such
 * version, not content mode) */
uint32_t model_version_site(const struct model *m, uint32_t region,
		uint64_t off, uint32_t point);
/* durable content of a touched line (content mode); -ENOENT if untouched */
int model_line_durable(const struct model *m, uint32_t region, uint64_t off,
		uint8_t *buf);
/* calls fn for every line whose content the model holds (touched by a
 * store or snapshot), with its durable content, in (region, off) order */
typedef void (*model_line_fn)(void *ctx, uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t len);
void model_for_each_durable(const struct model *m, model_line_fn fn,
		void *ctx);

/* ---- accounting (benchmarks, tests) ---- */
struct model_stats {
	uint64_t events;
	uint64_t lines;          /* touched lines */
	uint64_t bytes;          /* model state in bytes, all tables */
	uint64_t history_dropped;/* intermediate versions dropped (cap) */
};
void model_stats(const struct model *m, struct model_stats *st);
/* the touched lines (model_stats' lines) without walking the tables */
uint64_t model_lines(const struct model *m);

#ifdef __cplusplus
}
#endif
#endif /* PMEMU_MODEL_H */
