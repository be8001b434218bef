/* engine_impl.h -- the explorer engine's state, shared by engine.c (eager
 * enumeration) and lazy.c (read-driven runs) */
#ifndef PMEMU_ENGINE_IMPL_H
#define PMEMU_ENGINE_IMPL_H 1

#include <limits.h>

#include "check.h"
#include "explore.h"
#include "image.h"
#include "linemap.h"
#include "points.h"
#include "replay.h"
#include "report.h"
#include "stateid.h"
#include "states.h"
#include "verdict.h"

struct xp_lazy;

struct engine {
	const struct xp_opts *o;
	struct xp_points pts;
	uint64_t *states_at;
	struct xp_replay r;
	struct xp_base *base;
	struct xp_checker *chk;
	struct xp_slot **slots;
	size_t nslots;
	size_t slots_open;      /* slots[] made so far (lowest first) */
	size_t *slot_image;
	struct xp_linemap *by_hash;
	struct xp_image *img;
	size_t nimg, capimg;
	struct xp_staterec *st;
	size_t nst, capst;
	uint64_t ordinal, checks, done, failing;
	struct xp_openset open;
	struct { uint32_t region; uint64_t off; } *prev;
	size_t nprev, capprev;
	char tmp[PATH_MAX];
	double t0, last_progress;
	struct xp_bounded bounded;
	bool pmem_dir_set;
	bool dimm_set;          /* xp_engine_load_dimm done */
	/* points by open-set key (xp_openset_key): a later point with an
	 * earlier one's key has its states, state for state */
	struct xp_linemap *by_point_key;
	struct seen_point *seen;
	size_t nseen, capseen;
	uint64_t same_points, same_states;
	struct xp_lazy *lazy;   /* --explore lazy: lazy.c; NULL eager */
	const char *lazy_off;   /* why --explore lazy fell back, or NULL */
	uint64_t points_done;   /* points explored (all but when stopped) */
	const struct xp_image *runner_lost; /* its check killed the runner */
	uint64_t checks_forked; /* exec'd checks from a fork server */
	char *fork_off;         /* why a slot ran its checks by exec */
	uint64_t poisoned_images; /* images checked with a poisoned line */
	struct xp_hash point_key; /* the current point's (xp_openset_key) */
	struct xp_lazy_pool *pool; /* lazy --jobs N: the workers, or NULL */
	struct xp_lazy_link *link; /* a worker: to its parent, or NULL */
};

/* the states an enumerated point left in st[] */
struct seen_point {
	size_t st_first, st_n;
	uint64_t states;
};

/* engine.c: the image of content hash h (is_new: registered now) */
size_t xp_engine_image(struct engine *e, struct xp_hash h, bool *is_new);
/* engine.c: every state of the current point, eagerly */
int xp_engine_enumerate(struct engine *e, size_t idx, char *err,
		size_t errlen);
/* engine.c: makes slot's image directory if it has none; 0 or -1 */
int xp_engine_open_slot(struct engine *e, size_t slot, char *err,
		size_t errlen);
/* engine.c: a signal asked the exploration to stop */
bool xp_engine_stopped(const struct engine *e);
/* engine.c: the next check to end, into its image; 0, 1 stopped, 2 none
 * running, -1 error (a check killed its runner: message) */
int xp_engine_wait(struct engine *e, size_t *slot, char *err,
		size_t errlen);
/* engine.c: the result of an eager check (slot's image): 0, -1 when it
 * killed its runner (message) */
int xp_engine_completed(struct engine *e, size_t slot,
		const struct xp_result *res, char *err, size_t errlen);
/* engine.c: an eager check still runs in slot (a point explored eagerly
 * leaves its last checks running into the next point) */
bool xp_engine_slot_checking(const struct engine *e, size_t slot);
/* engine.c: (xp_check_restore_fn) the image of the eager check running
 * in slot as it began (xp_slot_restore); 1 when none runs there (the
 * explanation's check: by exec) */
int xp_engine_restore(void *ctx, size_t slot, bool write);
/* engine.c: the error of a check that killed its runner (XP_RUNNER_LOST);
 * returns -1 */
int xp_engine_lost_runner(const char *state, const struct xp_result *res,
		char *err, size_t errlen);
/* engine.c: realloc to hold need elements (aborts on ENOMEM) */
void *xp_engine_grow(void *p, size_t *cap, size_t need, size_t elem);
/* engine_dimm.c: a region of the trace so far is in the cxl domain */
bool xp_engine_has_cxl(struct engine *e);
/* PMEMU_DIRTY_SHUTDOWN of state pick[] at the current point: -1 without
 * a cxl region, 1 when its Global Persistent Flush failed, else 0 */
int xp_engine_gpf_failed(struct engine *e, const uint32_t *pick);
/* engine_dimm.c: the DIMM of the images, read once regions are known;
 * 0 or -1 (message) */
int xp_engine_load_dimm(struct engine *e, char *err, size_t errlen);
/* engine_dimm.c: the directory of the first region's media as recorded
 * (allocated) */
char *xp_engine_recorded_pmem_dir(struct engine *e);

/* engine_poison.c: why --explore lazy falls back with --strategy poison */
#define XP_POISON_NOT_LAZY "--strategy poison: a poisoned line is a bad " \
	"block only a check under pmemu's shim can see (libpmemu-lazy.so " \
	"has none)"
/* whether a line of lines[0..n) is poisoned */
bool xp_lines_poisoned(const struct xp_line_set *lines, size_t n);
/* engine_poison.c: the note of a check that could not see the poison */
void xp_engine_poison_note(const struct engine *e, struct xp_report *rp);
/* the report's notes of how the exploration ran (engine_notes.c) */
void xp_engine_notes(struct engine *e, struct xp_report *rp,
		const char *mode_note, const char *dir_note);

/* lazy.c */
struct xp_lazy *xp_lazy_new(struct engine *e);
void xp_lazy_delete(struct engine *e);
/* the states of the current point, by runs of the check: 0 or -1 */
int xp_lazy_point(struct engine *e, size_t idx, char *err, size_t errlen);
/* its notes, at the end */
void xp_lazy_notes(struct engine *e, struct xp_report *rp);
/* lazy_pool.c: N worker processes (--jobs N) explore the points by shard
 * and send their runs: the parent takes them instead of running them */
struct xp_lazy_pool;
struct xp_lazy_link;
typedef void (*xp_lazy_work_fn)(const struct xp_opts *o,
		struct xp_lazy_link *link);
/* --explore lazy with --jobs over 1 and a check program */
bool xp_lazy_pool_wanted(const struct xp_opts *o);
/* the most image slots its workers open together (0: no pool) */
size_t xp_lazy_pool_slots(const struct xp_opts *o);
/* forks o->jobs workers, each work(its opts, fd) then exits; NULL when
 * none could start (one process explores) */
struct xp_lazy_pool *xp_lazy_pool_start(const struct xp_opts *o,
		xp_lazy_work_fn work);
/* stops the workers left, waits for them (once every point is done: they
 * may still replay to the end of the trace); then frees it all */
void xp_lazy_pool_stop(struct xp_lazy_pool *p);
void xp_lazy_pool_delete(struct xp_lazy_pool *p);
/* how many workers made runs (checks in parallel) */
size_t xp_lazy_pool_ran(const struct xp_lazy_pool *p);
/* reads what the workers sent until the worker of point idx (e->point_key)
 * sent all its runs or ended: 0, 1 when a signal stopped the exploration */
int xp_lazy_pool_wait(struct engine *e, size_t idx);
/* a worker: point idx is done (all its runs sent) */
void xp_lazy_export_point(struct engine *e, size_t idx);
/* a worker: a token to start a run, waiting for one if wait (false: none
 * free, or stopped); true in any other process */
bool xp_lazy_token_take(struct engine *e, bool wait);
/* a worker: a run ended, its token back; all of them (at its end) */
void xp_lazy_token_give(struct engine *e);
void xp_lazy_token_give_all(struct engine *e);
/* lazy_xread.c: reads of undecided lines whose outcome did not matter */
struct xp_xread;
struct xp_xread *xp_xread_new(void);
void xp_xread_delete(struct xp_xread *x);
/* a new crash point with nopen open lines */
void xp_xread_begin(struct xp_xread *x, size_t nopen);
/* a run's first access to open line `line` as libpmemu-lazy logged it:
 * "R where" a read, "W where" a store, "P ..." decided with its page */
void xp_xread_access(struct xp_xread *x, size_t line, const char *how);
/* the point's findings: the lines read first (not stored first) by some
 * run, whose every run passed (same[line]) */
void xp_xread_end(struct xp_xread *x, struct engine *e, size_t idx,
		const unsigned char *same);
/* the findings into the report (moved) */
void xp_xread_report(struct xp_xread *x, struct xp_report *rp);

#endif
