/*
 * report.h -- the report: text, JSON, merged shards (report*.c, json.c,
 * merge*.c)
 */
#ifndef PMEMU_XP_REPORT_H
#define PMEMU_XP_REPORT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "explore_common.h"
#include "replay.h"
#include "trace.h"

struct xp_rpoint {
	uint64_t point;
	char *event;
	int64_t record;
	struct xp_site site;
	uint64_t folded, states, failing_states;
};
struct xp_rline {
	uint32_t region;
	uint64_t off;
	uint32_t len;
	char *reason;
	struct xp_site store_site;
	struct xp_site flush_site;  /* id 0: none */
	/* the stores the line lost in the state (that reached the media:
	 * persisted-early), at most 8 sites: store_site first (the torn
	 * store), then stores with a source line, then the rest */
	struct xp_site *stores;
	size_t nstores;
	uint64_t torn_pieces;       /* reason "torn": the pieces that arrived */
	uint32_t piece_len;         /* their size: 8, or the sector size */
};
/* a read by the check of a line that was not durable at the crash, whose
 * content did not change the verdict (lazy.c, lazy_xread.c) */
struct xp_rxread {
	uint64_t point;             /* the first crash point where it was */
	uint64_t points;            /* how many points had it */
	char *read_at;              /* "function (file:line)", "module+0x.." */
	struct xp_rline line;       /* its stores, as an explanation's */
};
struct xp_rfail {
	char *state;
	uint64_t ordinal;
	uint64_t point;
	uint64_t states;
	struct xp_result result;
};
struct xp_rregion {
	uint32_t region;
	char *file, *media;
	uint64_t len;
	uint32_t line;
};
/* crash points whose states were bounded, and the combinations of line
 * outcomes they left out */
struct xp_bounded {
	uint64_t points;
	double left_out;
};
struct xp_report {
	char *trace;
	char *pmem_dir;         /* where the original media is, if relocated */
	bool trace_truncated;
	/* options */
	char **strategy;
	size_t nstrategy;
	char **crash_at;
	size_t ncrash_at;
	char *crash_points;
	uint64_t max_points, max_lines, max_states, samples, seed;
	char *from, *to, *check, *check_kind;
	char *explore;          /* the mode that ran: "eager" or "lazy" */
	double timeout_s;
	uint32_t shard_k, shard_n;
	bool text_verbose;      /* the text lists every failing point */
	struct xp_rregion *regions;
	size_t nregions;
	/* counts */
	uint64_t points_total, points, states, images, checks;
	uint64_t checks_forked; /* of checks: forked by a fork server */
	uint64_t failing_states, failing_images, timeouts, crashes;
	struct xp_bounded bounded;  /* the same in every shard */
	char **notes;
	size_t nnotes;
	char **tx_late;             /* stores made before their TX_ADD, as
	                               text: where, stored at, added at */
	size_t ntx_late;
	struct xp_rpoint *pfail;    /* points with failing states */
	size_t npfail;
	bool has_first;
	struct xp_rfail first;
	struct xp_rpoint first_point;
	char **first_markers;
	size_t nfirst_markers;
	uint64_t first_same_image;
	int first_gpf;           /* cxl: 0 none, 1 GPF succeeded, 2 failed
	                           (PMEMU_DIRTY_SHUTDOWN=1); JSON
	                           first_failure.dirty_shutdown */
	char *first_output;
	char *expl_status;
	uint64_t expl_checks;
	uint64_t expl_unknown;      /* open lines whose content is unknown */
	struct xp_rline *expl;
	size_t nexpl;
	struct xp_rfail *failures;
	size_t nfailures;
	bool failures_truncated;
	struct { uint32_t k, n; } *shards;
	size_t nshards;
	/* the program explore recorded: its exit status (128+N killed by
	 * signal N); -1 when the trace was given (--trace) */
	int program_status;
	/* the exploration stopped early: SIGINT, SIGTERM, or SIGALRM for
	 * --time-limit; 0 it ran to its end */
	int stopped;
	double time_limit_s;
	uint64_t points_done;       /* stopped: crash points explored */
	/* --explore lazy: recovery reads of data not durable at the crash */
	struct xp_rxread *xreads;
	size_t nxreads;
	bool xreads_fail;           /* --error-on-unpersisted-read */
};
/* the exit status the report stands for: 0 pass, 1 fail, 130/143 when
 * interrupted, 3 past --time-limit */
int xp_report_exit_code(const struct xp_report *rp);
/* report_end.c: its JSON fields and its text line (false: not stopped) */
void xp_report_json_end(const struct xp_report *rp, FILE *f);
bool xp_report_text_stop(const struct xp_report *rp, FILE *f);
const char *xp_report_stop_name(const struct xp_report *rp);
/* the run failed: a failing state, or (--error-on-unpersisted-read) an
 * unpersisted read */
bool xp_report_failed(const struct xp_report *rp);
/* one line of an explanation (or of an unpersisted read), text / JSON */
void xp_report_text_line(const struct xp_report *rp, FILE *f,
		const char *lead, const struct xp_rline *l);
void xp_report_json_line(const struct xp_report *rp, FILE *f,
		const struct xp_rline *l);
/* a JSON string (escaped, quoted), or null */
void xp_report_json_str(FILE *f, const char *s);
/* the unpersisted reads, text (a warning) / JSON ("unpersisted_reads")
 * / from JSON; report_xread.c */
void xp_report_text_xreads(const struct xp_report *rp, FILE *f);
void xp_report_json_xreads(const struct xp_report *rp, FILE *f);
void xp_rxread_free(struct xp_rxread *x);
void xp_rxread_copy(struct xp_rxread *dst, const struct xp_rxread *src);
#define XP_FAILURES_MAX 1000
void xp_report_free(struct xp_report *rp);
int xp_report_write_json(const struct xp_report *rp, FILE *f);
void xp_report_write_text(const struct xp_report *rp, FILE *f);
/* the base name of a region's file, or "region" */
const char *xp_report_region_file(const struct xp_report *rp,
		uint32_t region);
/* "function (file:line)" of the innermost frame with a source line (the
 * program's caller of a library without debug info), else the innermost */
void xp_site_line(const struct xp_site *s, char *buf, size_t len);
/* reads a JSON report; 0 or -1 (message) */
int xp_report_read_json(const char *path, struct xp_report *rp, char *err,
		size_t errlen);
/* merges src into dst (dst may be empty: zeroed); 0 or -1 (message) */
int xp_report_merge(struct xp_report *dst, const struct xp_report *src,
		char *err, size_t errlen);
void xp_report_add_note(struct xp_report *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* a count that may exceed 2^53 as text: exact below 10^15 */
void xp_count_text(double n, char *buf, size_t len);
/* string helpers shared by the report code */
char *xp_strdup(const char *s);
void xp_strv_push(char ***v, size_t *n, const char *s);
void xp_strv_free(char **v, size_t n);
/* appends the strings of src that v does not hold yet */
void xp_strv_union(char ***v, size_t *n, char *const *src, size_t nsrc);

#endif
