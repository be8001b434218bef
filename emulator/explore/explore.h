/*
 * explore.h -- the crash explorer: crash points x per-line outcomes ->
 * media images -> the user's check -> a report (docs/explore.md)
 *
 * Pieces, one file each:
 *  linemap.c   (region, line offset) -> content hash map
 *  media.c     regions, the original media (pristine), relocation
 *  replay.c    trace -> model, record by record; durable-line tracking
 *  points.c    which records are crash points; unique-stack folding
 *  stateid.c   stable state ids: format and parse
 *  states.c    the crash states of one point (strategies)
 *  image.c     per-worker image files, updated line by line
 *  check.c     running the check: exec'd, forked .so, in process
 *  engine.c    the main loop: points, states, dedup, shards, results
 *  explain.c   delta debugging of the lost lines of a failing state;
 *              explain_line.c what it says about each line
 *  report.c    the report: text, JSON; json.c a small JSON reader/writer
 *  merge.c     joining shard reports
 */
#ifndef PMEMU_EXPLORE_H
#define PMEMU_EXPLORE_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "trace.h"

#define XP_LINE_MAX 4096u /* largest line (pagecache domain) */

/* ---- linemap.c: (region, off) -> value ---- */
struct xp_linemap;
struct xp_linemap *xp_linemap_new(void);
void xp_linemap_delete(struct xp_linemap *lm);
/* the value slot of a key, or NULL if absent */
void **xp_linemap_find(const struct xp_linemap *lm, uint32_t region,
		uint64_t off);
/* the value slot of a key, inserted (value NULL) if absent */
void **xp_linemap_get(struct xp_linemap *lm, uint32_t region, uint64_t off);
typedef void (*xp_linemap_fn)(void *ctx, uint32_t region, uint64_t off,
		void *value);
void xp_linemap_each(const struct xp_linemap *lm, xp_linemap_fn fn,
		void *ctx);
void xp_linemap_clear(struct xp_linemap *lm);

/* 128-bit content hash of a line, summed over an image (order free) */
struct xp_hash {
	uint64_t a, b;
};
struct xp_hash xp_line_hash(uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t len);
void xp_hash_add(struct xp_hash *h, struct xp_hash x);
void xp_hash_sub(struct xp_hash *h, struct xp_hash x);

/* ---- media.c: regions and their original (pristine) content ---- */
struct xp_region {
	uint32_t id;
	enum model_domain domain;
	uint32_t line_len;
	uint64_t len;           /* length now (at the replay's position) */
	uint64_t initial_len;   /* at the REGION record: past it, zeros */
	char *media;            /* media path as recorded */
	char *source;           /* where we read it (after --pmem-dir) */
	char *file;             /* image file name in an image dir */
	int fd;                 /* source, read only; -1: reads zeros */
};

struct xp_media {
	struct xp_region *regions;
	size_t n;
	const char *pmem_dir;   /* relocation: read DIR/<basename> */
	struct xp_linemap *pristine; /* line -> uint8_t[line_len] */
	struct xp_linemap *base;     /* page -> uint8_t[4096]: BASE records */
	int error;              /* first read error (-errno) */
};
void xp_media_init(struct xp_media *md, const char *pmem_dir);
void xp_media_fini(struct xp_media *md);
/* adds or updates a region from a REGION record; 0 or -1 (message) */
int xp_media_region(struct xp_media *md, uint32_t id, enum model_domain d,
		uint64_t len, uint32_t line_len, const char *path, char *err,
		size_t errlen);
struct xp_region *xp_media_find(struct xp_media *md, uint32_t id);
/* a TRACE_REC_BASE record: the media's page before the run changed it */
void xp_media_base(struct xp_media *md, const struct trace_rec *rec);
/* the pristine content of a line (read once, cached) */
const uint8_t *xp_media_line(struct xp_media *md, uint32_t region,
		uint64_t off);
/* model_media_read_fn over an xp_media */
void xp_media_read(void *ctx, uint32_t region, uint64_t off, uint8_t *buf,
		uint32_t len);

/* ---- sites (replay.c collects them from SITE/MODULE/SITE_SRC) ---- */
struct xp_frame {
	char *function, *file, *module;
	int line;               /* 0 unknown */
	uint64_t offset;        /* module offset */
	bool has_offset;
};
struct xp_site {
	uint32_t id;
	size_t nframes;
	struct xp_frame *frames;
};
void xp_site_free(struct xp_site *s);
void xp_site_copy(struct xp_site *dst, const struct xp_site *src);

/* ---- replay.c: the trace through the model ---- */
#define XP_TX_LATE_MAX 8 /* stores before their TX_ADD kept for a report */
#define XP_UNTRACED_SITES 32 /* sites of untraced stores kept (modules) */
struct xp_replay {
	struct trace_reader *rd;
	struct model *m;
	struct xp_media media;
	uint64_t applied;       /* records applied: the crash point number */
	struct trace_rec next;
	int have_next;          /* 1 next is valid, 0 end of trace */
	bool truncated;
	/* lines a flush/store touched since xp_replay_take_touched() */
	struct xp_linemap *touched;
	char **markers;         /* names of the MARKER records applied */
	size_t nmarkers, markers_cap;
	char **notes;           /* NOTE records, and our own */
	size_t nnotes;
	/* site id -> frames (raw), module id -> path */
	struct xp_site *sites;
	size_t nsites;
	char **modules;
	size_t nmodules;
	bool untraced;          /* the trace has untraced stores */
	uint32_t untraced_sites[XP_UNTRACED_SITES]; /* distinct, first seen */
	size_t nuntraced_sites;
	void *sym;              /* struct symbolizer (report/), or NULL */
	/* FINDING records of stores made before their TX_ADD (the shim's
	 * verdict at exit): what a failure with no lost line may come from */
	struct model_finding tx_late[XP_TX_LATE_MAX];
	size_t ntx_late;
};
/* opens the trace and a content-mode model; 0 or -1 (message in err) */
int xp_replay_open(struct xp_replay *r, const char *trace_path,
		const char *pmem_dir, char *err, size_t errlen);
void xp_replay_close(struct xp_replay *r);
/* applies records until `applied` == point; 0 or -1 (message) */
int xp_replay_to(struct xp_replay *r, uint64_t point, char *err,
		size_t errlen);
/* the site of a site id (NULL frames if unknown) */
const struct xp_site *xp_replay_site(const struct xp_replay *r,
		uint32_t id);
/* frames of a site resolved to function, file:line; false if unknown */
bool xp_replay_resolve(const struct xp_replay *r, uint32_t id,
		struct xp_site *out);
/* "a,b,c" of the markers applied so far; caller frees */
char *xp_replay_markers(const struct xp_replay *r);
void xp_replay_note(struct xp_replay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- points.c ---- */
#define XP_AT_FENCE 1u
#define XP_AT_FLUSH 2u
#define XP_AT_STORE 4u
#define XP_AT_MARKER 8u

enum xp_fold {
	XP_FOLD_AUTO = 0,       /* unique-stack above max_points */
	XP_FOLD_NONE = 1,
	XP_FOLD_STACK = 2,
};

struct xp_point {
	uint64_t point;         /* records applied at the crash */
	int64_t record;         /* the record it is before/at, -1 exit */
	uint16_t type;          /* that record's type (0 for exit) */
	uint32_t site;
	uint64_t folded;        /* points folded into this one (>= 1) */
};

struct xp_points {
	struct xp_point *v;
	size_t n;
	uint64_t total;         /* before folding */
	bool folded;
	bool truncated;         /* no END record: a killed program */
	uint64_t good_end;      /* its last whole record's end */
};
/* parses "fence,flush" etc into XP_AT_*; -1 if unknown */
int xp_crash_at_parse(const char *s, unsigned *mask);
/* scans the trace once; 0 or -1 (message) */
int xp_points_scan(const char *trace_path, unsigned crash_at,
		const char *from, const char *to, enum xp_fold fold,
		uint64_t max_points, struct xp_points *pts, char *err,
		size_t errlen);
void xp_points_free(struct xp_points *pts);
const char *xp_point_event(const struct xp_point *p);

/* ---- stateid.c ---- */
struct xp_choice {
	uint32_t region;
	uint64_t off;
	struct model_outcome out;
};
/* "<point>" or "<point>:<r>.<off hex>=<code>,..." (non-LOST only, in
 * (region, off) order); returns a malloc'd string */
char *xp_state_id(uint64_t point, const struct xp_choice *c, size_t n);
/* parses an id; *c malloc'd; 0 or -1 */
int xp_state_parse(const char *id, uint64_t *point, struct xp_choice **c,
		size_t *n);

/* ---- states.c: the states of one crash point ---- */
struct xp_open {
	struct model_open_line line;
	size_t nout;
	struct model_outcome *out;   /* LOST first */
	uint8_t *content;            /* nout x line_len */
	uint32_t line_len;
	/* the first outcome of each distinct content, LOST first: the
	 * generator enumerates only these (equal images, one state) */
	uint32_t *distinct;
	size_t ndistinct;
	size_t newest;               /* distinct[newest]: newest content */
};
/* the open lines of the model now, with their outcomes and contents */
struct xp_openset {
	struct xp_open *v;
	size_t n, cap;
	struct model_open_line *ol;
	size_t olcap;
};
void xp_openset_load(struct xp_openset *s, const struct model *m,
		unsigned strategies);
void xp_openset_free(struct xp_openset *s);
static inline const uint8_t *
xp_open_content(const struct xp_open *o, size_t k)
{
	return o->content + k * o->line_len;
}
/* a key of the open lines, their outcomes and the durable image hash */
struct xp_hash xp_openset_key(const struct xp_openset *s, struct xp_hash base);
/* index of outcome o among line's outcomes, or -1 */
long xp_open_find(const struct xp_open *line, const struct model_outcome *o);

struct xp_state_gen;
/* the bounds of one crash point's states */
struct xp_state_bounds {
	unsigned long max_lines;     /* exhaustive up to this many lines */
	unsigned long max_states;    /* ... and this many combinations;
	                              * never more states than this */
	unsigned long samples;       /* random ones beyond (seeded) */
	uint64_t seed;
};
/* states of the lines' distinct outcomes: every combination within the
 * bounds, else single inclusions, single omissions, and `samples` seeded
 * random ones, at most max_states; pick[i] indexes open[i].out */
struct xp_state_gen *xp_state_gen_new(const struct xp_open *open, size_t n,
		const struct xp_state_bounds *b);
/* 1 with the next choice vector in *pick (n entries), 0 at the end */
int xp_state_gen_next(struct xp_state_gen *g, const uint32_t **pick);
bool xp_state_gen_exhaustive(const struct xp_state_gen *g);
/* the combinations of distinct outcomes (saturating at DBL_MAX), and of
 * them those not generated (so far) */
double xp_state_gen_combinations(const struct xp_state_gen *g);
double xp_state_gen_left_out(const struct xp_state_gen *g);
void xp_state_gen_delete(struct xp_state_gen *g);

/* ---- image.c: a worker's image directory ---- */
struct xp_base;   /* the durable image at the current point */
struct xp_base *xp_base_new(struct xp_media *md);
void xp_base_delete(struct xp_base *b);
/* re-reads the durable content of these lines from the model */
void xp_base_update(struct xp_base *b, const struct model *m,
		uint32_t region, uint64_t off);
/* the content of a line in the base image */
/* every durable line of the model (a fresh replay) */
void xp_base_load(struct xp_base *b, const struct model *m);
const uint8_t *xp_base_line(struct xp_base *b, uint32_t region,
		uint64_t off);

/* a line of a state that differs from the base */
struct xp_line_set {
	uint32_t region;
	uint64_t off;
	const uint8_t *content;
};

struct xp_slot;
/* makes dir (created, removed at delete) with one file per region */
struct xp_slot *xp_slot_new(struct xp_base *b, const char *dir, char *err,
		size_t errlen);
void xp_slot_delete(struct xp_slot *s);
/* the files stay when the slot is deleted (pmemu replay -o DIR) */
void xp_slot_keep(struct xp_slot *s);
/* writes the lines that differ from the slot's last image; 0 or -errno */
int xp_slot_set(struct xp_slot *s, const struct xp_line_set *lines,
		size_t n);
/* after a check: notices what it wrote, so the next set restores it */
void xp_slot_after_check(struct xp_slot *s);
const char *xp_slot_dir(const struct xp_slot *s);
/* the image path {pmem} names: the file with one region, else the dir */
const char *xp_slot_pmem(const struct xp_slot *s);
uint64_t xp_slot_full_restores(const struct xp_slot *s);
/* the image hash of base + lines */
struct xp_hash xp_base_hash(const struct xp_base *b);
struct xp_hash xp_state_hash(struct xp_base *b, const struct xp_line_set *l,
		size_t n);

/* ---- check.c ---- */
enum xp_check_kind {
	XP_CHECK_EXEC = 0,
	XP_CHECK_SO_FORK = 1,
	XP_CHECK_SO_INPROC = 2,
};
enum xp_res_kind {
	XP_RES_PASS = 0,
	XP_RES_EXIT = 1,
	XP_RES_SIGNAL = 2,
	XP_RES_TIMEOUT = 3,
	XP_RES_ERROR = 4,
};
struct xp_result {
	enum xp_res_kind kind;
	int code;               /* ERROR: XP_RUNNER_LOST when the slot's
	                         * runner died (the check killed it) */
	int sig;
};
struct xp_check_cfg {
	enum xp_check_kind kind;
	const char *cmd;        /* exec: the command; so: LIB:FUNC */
	double timeout_s;
	bool shim;              /* exec without {pmem}: under libpmemu.so */
	const char *pmem_dir;   /* shim: the program's pmem dir */
	bool lazy;              /* exec under libpmemu-lazy.so (lazy.c) */
	/* set (to a signal number) by a signal handler: waiting for a
	 * check returns early (xp_check_wait) */
	volatile sig_atomic_t *stop;
};
#define XP_RUNNER_LOST (-1)
struct xp_checker;
/* nslots workers, slot i's image is pmem[i] in dir[i]; 0 or -1 */
int xp_checker_new(const struct xp_check_cfg *cfg, size_t nslots,
		struct xp_checker **c, char *err, size_t errlen);
void xp_checker_delete(struct xp_checker *c);
/* starts a check of slot's image; 0 or -1 (result recorded as ERROR) */
int xp_check_start(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers);
/* waits for a started check to end: its slot and result; 0, -1 none,
 * -2 a signal set cfg.stop meanwhile */
int xp_check_wait(struct xp_checker *c, size_t *slot, struct xp_result *res);
/* start + wait for that one */
void xp_check_run(struct xp_checker *c, size_t slot, const char *dir,
		const char *pmem, const char *state, const char *markers,
		struct xp_result *res);
/* shim: PMEMU_PMEM_DIR for the check (the program's pmem dir) */
void xp_checker_set_pmem_dir(struct xp_checker *c, const char *dir);
/* PMEMU_DIRTY_SHUTDOWN=v for the checks started next (a cxl state: 1
 * when Global Persistent Flush failed); -1 (the default): not set */
void xp_checker_set_dirty_shutdown(struct xp_checker *c, int v);
size_t xp_checker_busy(const struct xp_checker *c);
/* the state id of the last check started in slot */
const char *xp_check_state(const struct xp_checker *c, size_t slot);
/* the check's output of the last run in slot (NUL terminated, tail) */
const char *xp_check_output(struct xp_checker *c, size_t slot);
const char *xp_res_kind_name(enum xp_res_kind k);
void xp_result_describe(const struct xp_result *r, char *buf, size_t len);

/* ---- the report (report.c, json.c, merge.c) ---- */
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
	double timeout_s;
	uint32_t shard_k, shard_n;
	bool text_verbose;      /* the text lists every failing point */
	struct xp_rregion *regions;
	size_t nregions;
	/* counts */
	uint64_t points_total, points, states, images, checks;
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
	                           (PMEMU_DIRTY_SHUTDOWN=1); text only */
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

/* ---- engine.c: pmemu explore ---- */
struct xp_opts {
	const char *trace;
	const char *pmem_dir;
	unsigned strategies;        /* MODEL_STRAT_* */
	unsigned crash_at;          /* XP_AT_* */
	enum xp_fold fold;
	unsigned long max_points, max_lines, max_states, samples, seed;
	const char *from, *to;
	struct xp_check_cfg check;
	unsigned long jobs;
	bool jobs_set;              /* --jobs given: note when not all ran */
	unsigned long shard_k, shard_n;
	bool explain;
	bool progress;
	bool lazy;                  /* --explore lazy (lazy.c) */
	unsigned long budget;       /* lazy: most runs at one crash point */
	bool error_on_xread;        /* --error-on-unpersisted-read */
	const char *tmpdir;
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM/SIGALRM */
	double time_limit_s;         /* --time-limit (0: none) */
};
/* runs the exploration, fills rp; 0 or -1 (message in err: exit 2) */
int xp_explore(const struct xp_opts *o, struct xp_report *rp, char *err,
		size_t errlen);
/* the strategy mask as names */
void xp_strategy_names(unsigned mask, struct xp_report *rp);
int xp_strategy_parse(const char *s, unsigned *mask);

/* ---- verdict.c: the engine's results -> the report ---- */
struct xp_image {
	struct xp_hash h;
	uint64_t first_ordinal;
	size_t point_idx;
	char *state;            /* id of its first state */
	uint64_t states;        /* states with this image */
	struct xp_result res;
	bool done;
	char *output;           /* failing: the tail of the check's output */
	int dirty_shutdown;     /* cxl: 1 GPF failed, 0 it succeeded; -1 */
};
struct xp_staterec {
	uint32_t point_idx;
	uint32_t image;
};
struct xp_results {
	const struct xp_opts *o;
	struct xp_replay *r;    /* at the end of the exploration */
	const struct xp_points *pts;
	const uint64_t *states_at;
	const struct xp_image *img;
	size_t nimg;
	const struct xp_staterec *st;
	size_t nst;
	uint64_t checks;
	struct xp_bounded bounded;
	struct xp_checker *chk; /* idle: the explanation runs on slot 0;
	                         * NULL when stopped (no explanation) */
	const char *tmp;        /* a directory for the explanation's image */
	int stopped;            /* the signal that stopped it, or 0 */
	uint64_t points_done;
};
int xp_verdict(const struct xp_results *res, struct xp_report *rp,
		char *err, size_t errlen);

/* ---- explain.c ---- */
struct xp_explain_ctx {
	struct xp_replay *r;        /* at the failing point */
	struct xp_base *base;
	struct xp_slot *slot;
	struct xp_checker *chk;
	const char *state;
	const char *markers;
	const struct xp_choice *choices;  /* of the failing state */
	size_t nchoices;
};
void xp_explain(struct xp_explain_ctx *x, struct xp_report *rp);
/* explain_line.c: a report line for open line o, held at outcome `kept`
 * in the failing state, named for what it lost, what arrived of it, or as
 * a line whose content at the point is unknown */
enum xp_line_role {
	XP_LINE_LOST = 0,
	XP_LINE_ARRIVED = 1,
	XP_LINE_UNKNOWN = 2,
};
void xp_explain_line(const struct xp_replay *r, const struct xp_open *o,
		const struct model_outcome *kept, enum xp_line_role role,
		struct xp_rline *out);
void xp_rline_free(struct xp_rline *l);
void xp_rline_copy(struct xp_rline *dst, const struct xp_rline *src);
/* a report point from a crash point */
void xp_rpoint_fill(const struct xp_replay *r, const struct xp_point *p,
		struct xp_rpoint *out);
/* the site of the report from a replay's site table */
void xp_report_site(const struct xp_replay *r, uint32_t id,
		struct xp_site *out);

/* ---- images (replay) ---- */
/* writes the image of state id into dir (created); 0 or -1 (message) */
int xp_replay_state(const char *trace, const char *pmem_dir,
		const char *id, const char *dir, char *err, size_t errlen);

#endif
