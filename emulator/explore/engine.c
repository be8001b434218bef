/* engine.c -- pmemu explore: crash points, their states, one check per
 * distinct image, in parallel slots; then the report
 *
 * States are enumerated in a fixed order (points in trace order, states
 * in generator order) and numbered by that order (the ordinal); shards
 * take the images whose content hash falls in their 1/N, so each image
 * is checked in exactly one shard and `merge` can add shards up. Lazy
 * shards take the crash points whose key (durable image and open lines)
 * falls in their 1/N: a point's states exist only once it is run.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "engine_impl.h"
#include "explore_auto.h"
#include "image_dir.h"
#include "xalloc.h"
#include "media.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void *
xp_engine_grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	if (*cap < need)
		*cap = need;
	p = xrealloc(p, *cap * elem, "xp_engine_grow: p");
	return p;
}

static void
progress(struct engine *e, size_t point_idx, bool final)
{
	if (!e->o->progress)
		return;
	double t = now_s();
	if (!final && t - e->last_progress < 0.2)
		return;
	e->last_progress = t;
	double rate = e->done / (t - e->t0 + 1e-9);
	double frac = e->pts.n ? (double)point_idx / e->pts.n : 1;
	double eta = frac > 0 ? (t - e->t0) * (1 - frac) / frac : 0;
	fprintf(stderr, "\rpmemu: explore: point %zu/%zu  states %llu  "
		"checked %llu  failing %llu  %.0f/s  ETA %.0fs   ", point_idx,
		e->pts.n, (unsigned long long)e->ordinal,
		(unsigned long long)e->done, (unsigned long long)e->failing,
		rate, eta);
	if (final)
		fputc('\n', stderr);
}

/* completed -- one check's result into its image */
static void
completed(struct engine *e, size_t slot, const struct xp_result *res)
{
	struct xp_image *im = &e->img[e->slot_image[slot]];
	if (res->kind == XP_RES_ERROR && res->code == XP_RUNNER_LOST &&
			e->runner_lost == NULL)
		e->runner_lost = im;
	im->res = *res;
	im->done = true;
	e->done++;
	e->checks_forked += res->forked;
	if (e->fork_off == NULL && xp_checker_fork_off(e->chk) != NULL)
		e->fork_off = xp_strdup(xp_checker_fork_off(e->chk));
	if (res->kind != XP_RES_PASS) {
		e->failing++;
		im->output = xp_strdup(xp_check_output(e->chk, slot));
	}
	xp_slot_after_check(e->slots[slot]);
	e->slot_image[slot] = SIZE_MAX;
}

bool
xp_engine_stopped(const struct engine *e)
{
	return e->o->stop != NULL && *e->o->stop != 0;
}

int
xp_engine_lost_runner(const char *state, const struct xp_result *res,
		char *err, size_t errlen)
{
	snprintf(err, errlen, "the check of state %s killed pmemu's check "
		"runner (%s %d): a check must not signal its parent process",
		state, res->sig ? "signal" : "exit status",
		res->sig ? res->sig : res->code);
	return -1;
}

/* xp_engine_wait -- the next check to end, into its image: 0, 1 when
 * a signal stopped the exploration meanwhile, 2 when no check was
 * running, -1 when a check killed its runner (message) */
int
xp_engine_wait(struct engine *e, size_t *slot, char *err, size_t errlen)
{
	struct xp_result res;
	int rc = xp_check_wait(e->chk, slot, &res);
	if (rc == -2 || xp_engine_stopped(e))
		return 1;
	if (rc != 0)
		return 2;
	return xp_engine_completed(e, *slot, &res, err, errlen);
}

int
xp_engine_completed(struct engine *e, size_t slot,
		const struct xp_result *res, char *err, size_t errlen)
{
	completed(e, slot, res);
	return e->runner_lost ? xp_engine_lost_runner(e->runner_lost->state,
			&e->runner_lost->res, err, errlen) : 0;
}

bool
xp_engine_slot_checking(const struct engine *e, size_t slot)
{
	return e->slot_image[slot] != SIZE_MAX;
}

int
xp_engine_restore(void *ctx, size_t slot, bool write)
{
	struct engine *e = ctx;
	if (slot >= e->nslots || e->slot_image[slot] == SIZE_MAX)
		return 1; /* the explanation's: by exec */
	if (write && xp_slot_restore(e->slots[slot]) != 0)
		return -1;
	return 0;
}

/* free_slot -- a slot with no check running, waiting for one if needed;
 * 0, 1 stopped, -1 error */
static int
free_slot(struct engine *e, size_t *slot, char *err, size_t errlen)
{
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slot_image[i] == SIZE_MAX) {
			*slot = i;
			return 0;
		}
	int rc = xp_engine_wait(e, slot, err, errlen);
	if (rc == 2)
		abort(); /* every slot busy, none running */
	return rc;
}

/* xp_engine_open_slot -- slot's image directory, made when first used:
 * slots are taken lowest first, so a --jobs larger than the images to
 * check costs nothing */
int
xp_engine_open_slot(struct engine *e, size_t slot, char *err, size_t errlen)
{
	if (e->slots[slot] != NULL)
		return 0;
	char dir[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%.*s/w%zu", PATH_MAX - 32, e->tmp, slot);
	e->slots[slot] = xp_slot_new(e->base, dir, err, errlen);
	if (e->slots[slot] == NULL)
		return -1;
	e->slots_open++;
	return 0;
}

static int
dispatch(struct engine *e, size_t image, const struct xp_line_set *lines,
		size_t n, const char *markers, char *err, size_t errlen)
{
	size_t slot;
	int stop = free_slot(e, &slot, err, errlen);
	if (stop != 0)
		return stop;
	if (xp_engine_open_slot(e, slot, err, errlen) != 0)
		return -1;
	if (xp_engine_load_dimm(e, err, errlen) != 0)
		return -1;
	int rc = xp_slot_set(e->slots[slot], lines, n);
	if (rc != 0) {
		snprintf(err, errlen, "writing image in %s: %s",
			xp_slot_dir(e->slots[slot]), strerror(-rc));
		return -1;
	}
	e->slot_image[slot] = image;
	e->checks++;
	if (e->o->check.shim && e->o->check.pmem_dir == NULL &&
			!e->pmem_dir_set && e->r.media.n > 0) {
		char *d = xp_engine_recorded_pmem_dir(e);
		xp_checker_set_pmem_dir(e->chk, d);
		free(d);
		e->pmem_dir_set = true;
	}
	xp_check_start(e->chk, slot, xp_slot_dir(e->slots[slot]),
			xp_slot_pmem(e->slots[slot]), e->img[image].state,
			markers);
	return 0;
}

/* new_image -- or the known one with this hash; SIZE_MAX+new flag */
static size_t
find_image(struct engine *e, struct xp_hash h, bool *is_new)
{
	void **v = xp_linemap_get(e->by_hash, (uint32_t)h.b, h.a);
	*is_new = *v == NULL;
	if (!*is_new)
		return (uintptr_t)*v - 1;
	e->img = xp_engine_grow(e->img, &e->capimg,
			e->nimg + 1, sizeof(*e->img));
	memset(&e->img[e->nimg], 0, sizeof(*e->img));
	e->img[e->nimg].h = h;
	e->img[e->nimg].dirty_shutdown = -1;
	*v = (void *)(uintptr_t)(e->nimg + 1);
	return e->nimg++;
}

size_t
xp_engine_image(struct engine *e, struct xp_hash h, bool *is_new)
{
	return find_image(e, h, is_new);
}

struct point_work {
	size_t idx;
	const char *markers;
	struct xp_line_set *lines;
	struct xp_choice *choices;
};

/* one_state -- the state pick[] of the current point */
static int
one_state(struct engine *e, struct point_work *w, const uint32_t *pick,
		char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t i = 0; i < e->open.n; i++) {
		const struct xp_open *o = &e->open.v[i];
		if (pick[i] == 0)
			continue;
		w->lines[n].region = o->line.region;
		w->lines[n].off = o->line.off;
		w->lines[n].content = xp_open_content(o, pick[i]);
		w->lines[n].poison = o->out[pick[i]].kind == MODEL_OUT_POISON;
		w->choices[n].region = o->line.region;
		w->choices[n].off = o->line.off;
		w->choices[n].out = o->out[pick[i]];
		n++;
	}
	uint64_t ordinal = e->ordinal++;
	e->states_at[w->idx]++;
	struct xp_hash h = xp_state_hash(e->base, w->lines, n);
	int dirty = xp_engine_gpf_failed(e, pick);
	if (dirty == 1) /* the same media, another device state */
		h.b ^= 0x9e3779b97f4a7c15ull;
	if (!e->lazy && e->o->shard_n > 1 &&
			h.a % e->o->shard_n != e->o->shard_k - 1)
		return 0; /* lazy: the point is this shard's, every state */
	bool is_new;
	size_t im = find_image(e, h, &is_new);
	e->st = xp_engine_grow(e->st, &e->capst, e->nst + 1, sizeof(*e->st));
	e->st[e->nst].point_idx = (uint32_t)w->idx;
	e->st[e->nst++].image = (uint32_t)im;
	e->img[im].states++;
	if (!is_new)
		return 0;
	e->img[im].first_ordinal = ordinal;
	e->img[im].point_idx = w->idx;
	e->img[im].state = xp_state_id(e->pts.v[w->idx].point, w->choices, n);
	e->img[im].dirty_shutdown = dirty;
	e->poisoned_images += xp_lines_poisoned(w->lines, n);
	xp_checker_set_dirty_shutdown(e->chk, dirty);
	return dispatch(e, im, w->lines, n, w->markers, err, errlen);
}

static void
touched_line(void *ctx, uint32_t region, uint64_t off, void *value)
{
	struct engine *e = ctx;
	(void)value;
	xp_base_update(e->base, e->r.m, region, off);
}

/* enumerate_point -- every state of the current point, checked once per
 * new image */
int
xp_engine_enumerate(struct engine *e, size_t idx, char *err, size_t errlen)
{
	const struct xp_point *p = &e->pts.v[idx];
	struct xp_openset *os = &e->open;
	struct point_work w = { idx, NULL, NULL, NULL };
	char *markers = xp_replay_markers(&e->r);
	w.markers = markers;
	w.lines = xcalloc(os->n + 1, sizeof(*w.lines),
			"xp_engine_enumerate: w.lines");
	w.choices = xcalloc(os->n + 1, sizeof(*w.choices),
			"xp_engine_enumerate: w.choices");
	struct xp_state_bounds b = { e->o->max_lines, e->o->max_states,
		e->o->samples, mix64(e->o->seed ^ mix64(p->point)) };
	struct xp_state_gen *g = xp_state_gen_new(os->v, os->n, &b);
	const uint32_t *pick;
	int rc = 0;
	while (rc == 0 && !xp_engine_stopped(e) &&
			xp_state_gen_next(g, &pick) == 1)
		rc = one_state(e, &w, pick, err, errlen);
	if (!xp_state_gen_exhaustive(g)) {
		e->bounded.points++;
		e->bounded.left_out += xp_state_gen_left_out(g);
		if (e->bounded.left_out > DBL_MAX)
			e->bounded.left_out = DBL_MAX;
	}
	xp_state_gen_delete(g);
	free(w.lines);
	free(w.choices);
	free(markers);
	return rc;
}

/* reuse_point -- point idx has the states of an earlier point (equal
 * durable image and open lines, so equal images state for state): they
 * count at idx with that point's images, without building or hashing
 * them again. Its states are numbered after the earlier point's, so the
 * earlier one names every failing image (smaller ordinal). */
static void
reuse_point(struct engine *e, size_t idx, const struct seen_point *sp)
{
	e->st = xp_engine_grow(e->st, &e->capst,
			e->nst + sp->st_n, sizeof(*e->st));
	for (size_t i = 0; i < sp->st_n; i++) {
		struct xp_staterec rec = e->st[sp->st_first + i];
		rec.point_idx = (uint32_t)idx;
		e->img[rec.image].states++;
		e->st[e->nst++] = rec;
	}
	e->states_at[idx] = sp->states;
	e->ordinal += sp->states;
	e->same_points++;
	e->same_states += sp->states;
}

/* one_point -- replay to the point, then its states: enumerated, or
 * those of an earlier point with the same open-set key */
static int
one_point(struct engine *e, size_t idx, char *err, size_t errlen)
{
	const struct xp_point *p = &e->pts.v[idx];
	if (xp_replay_to(&e->r, p->point, err, errlen) != 0)
		return -1;
	/* durable contents that changed since the last point: only lines
	 * open then or touched since can have; then the new open set */
	struct xp_openset *os = &e->open;
	for (size_t i = 0; i < e->nprev; i++)
		xp_base_update(e->base, e->r.m, e->prev[i].region,
				e->prev[i].off);
	xp_linemap_each(e->r.touched, touched_line, e);
	xp_linemap_clear(e->r.touched);
	xp_openset_load(os, e->r.m, e->o->strategies);
	e->prev = xp_engine_grow(e->prev, &e->capprev,
			os->n + 1, sizeof(*e->prev));
	for (size_t i = 0; i < os->n; i++) {
		e->prev[i].region = os->v[i].line.region;
		e->prev[i].off = os->v[i].line.off;
	}
	e->nprev = os->n;

	struct xp_hash key = xp_openset_key(os, xp_base_hash(e->base));
	e->point_key = key;
	/* lazy shards take whole points: points of one key in one shard */
	if (e->lazy && e->o->shard_n > 1 &&
			key.a % e->o->shard_n != e->o->shard_k - 1) {
		progress(e, idx + 1, false);
		return 0;
	}
	void **seen = xp_linemap_get(e->by_point_key, (uint32_t)key.b, key.a);
	int rc = 0;
	if (*seen != NULL) {
		reuse_point(e, idx, &e->seen[(uintptr_t)*seen - 1]);
	} else {
		size_t st_first = e->nst;
		rc = e->lazy ? xp_lazy_point(e, idx, err, errlen) :
			xp_engine_enumerate(e, idx, err, errlen);
		e->seen = xp_engine_grow(e->seen, &e->capseen, e->nseen + 1,
				sizeof(*e->seen));
		e->seen[e->nseen].st_first = st_first;
		e->seen[e->nseen].st_n = e->nst - st_first;
		e->seen[e->nseen].states = e->states_at[idx];
		*seen = (void *)(uintptr_t)++e->nseen;
	}
	progress(e, idx + 1, false);
	return rc;
}

static int
setup(struct engine *e, char *err, size_t errlen)
{
	const struct xp_opts *o = e->o;
	e->nslots = o->check.kind == XP_CHECK_SO_INPROC ? 1 : o->jobs;
	struct xp_check_cfg cfg = o->check;
	if (o->lazy && o->check.kind != XP_CHECK_EXEC)
		e->lazy_off = "the check is a library function (--check-so), "
			"not a program";
	else if (o->lazy && o->check.shim)
		e->lazy_off = "the check has no {pmem} (it runs under "
			"libpmemu.so)";
	else if (o->lazy && (o->strategies & MODEL_STRAT_POISON))
		e->lazy_off = XP_POISON_NOT_LAZY;
	cfg.lazy = o->lazy && e->lazy_off == NULL;
	/* runners fork first, while this process is small: fork is cheaper */
	if (xp_checker_new(&cfg, e->nslots, &e->chk, err, errlen) != 0)
		return -1;
	xp_checker_set_restore(e->chk, xp_engine_restore, e);
	if (xp_points_scan(o->trace, o->crash_at, o->from, o->to, o->fold,
			o->max_points, &e->pts, err, errlen) != 0)
		return -1;
	e->states_at = xcalloc(e->pts.n + 1, sizeof(*e->states_at),
			"setup: e->states_at");
	if (xp_replay_open(&e->r, o->trace, o->pmem_dir, err, errlen) != 0)
		return -1;
	e->base = xp_base_new(&e->r.media);
	snprintf(e->tmp, sizeof(e->tmp), "%s/pmemu-explore.XXXXXX",
			o->tmpdir ? o->tmpdir : "/tmp");
	if (mkdtemp(e->tmp) == NULL) {
		snprintf(err, errlen, "temporary directory %s: %s", e->tmp,
				strerror(errno));
		e->tmp[0] = '\0';
		return -1;
	}
	e->slots = xcalloc(e->nslots, sizeof(*e->slots), "setup: e->slots");
	e->slot_image = xcalloc(e->nslots, sizeof(*e->slot_image),
			"setup: e->slot_image");
	for (size_t i = 0; i < e->nslots; i++)
		e->slot_image[i] = SIZE_MAX;
	if (xp_engine_open_slot(e, 0, err, errlen) != 0)
		return -1;
	e->by_hash = xp_linemap_new();
	e->by_point_key = xp_linemap_new();
	if (cfg.lazy)
		e->lazy = xp_lazy_new(e);
	return 0;
}

static void
teardown(struct engine *e)
{
	if (e->chk) {
		size_t slot;
		struct xp_result res;
		while (xp_checker_busy(e->chk) &&
				xp_check_wait(e->chk, &slot, &res) == 0)
			;
		xp_checker_delete(e->chk);
	}
	if (e->lazy)
		xp_lazy_delete(e);
	xp_lazy_pool_delete(e->pool);
	for (size_t i = 0; e->slots && i < e->nslots; i++)
		if (e->slots[i] != NULL)
			xp_slot_delete(e->slots[i]);
	if (e->tmp[0]) /* with what the checks left next to their images */
		xp_image_dir_remove(e->tmp);
	free(e->slots);
	free(e->slot_image);
	xp_base_delete(e->base);
	xp_replay_close(&e->r);
	xp_openset_free(&e->open);
	xp_linemap_delete(e->by_hash);
	xp_linemap_delete(e->by_point_key);
	free(e->seen);
	for (size_t i = 0; i < e->nimg; i++) {
		free(e->img[i].state);
		free(e->img[i].output);
	}
	free(e->img);
	free(e->st);
	free(e->prev);
	free(e->states_at);
	xp_points_free(&e->pts);
}

/* run -- every point, then the checks still running; 0, -1 error; a
 * signal (SIGINT, SIGTERM, SIGALRM of --time-limit) stops it: the checks
 * running are killed and not counted, what was done is reported */
static int
run(struct engine *e, char *err, size_t errlen)
{
	e->t0 = now_s();
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < e->pts.n; i++) {
		if (xp_engine_stopped(e))
			break;
		rc = one_point(e, i, err, errlen);
		if (rc == 0 && !xp_engine_stopped(e))
			e->points_done = i + 1;
		if (rc == 0 && e->link != NULL)
			xp_lazy_export_point(e, i);
	}
	xp_lazy_pool_stop(e->pool);
	size_t slot;
	while (rc == 0 && xp_checker_busy(e->chk))
		rc = xp_engine_wait(e, &slot, err, errlen);
	if (rc == 2)
		rc = 0;
	if (rc < 0)
		return -1;
	if (xp_engine_stopped(e)) {
		xp_checker_delete(e->chk); /* kills the checks running */
		e->chk = NULL;
	}
	progress(e, e->points_done, true);
	return 0;
}

/* lazy_worker -- a worker of --explore lazy --jobs N (lazy_pool.c): its
 * shard of the points, each run sent on fd; its errors the parent meets
 * again when it runs what the worker did not send */
static void
lazy_worker(const struct xp_opts *o, struct xp_lazy_link *link)
{
	struct engine e;
	char err[256];
	memset(&e, 0, sizeof(e));
	e.o = o;
	e.link = link;
	if (setup(&e, err, sizeof(err)) == 0)
		run(&e, err, sizeof(err));
	teardown(&e);
	xp_lazy_token_give_all(&e);
}

int
xp_explore(const struct xp_opts *o, struct xp_report *rp, char *err,
		size_t errlen)
{
	struct engine e;
	memset(&e, 0, sizeof(e));
	/* --explore auto: lazy or eager (explore_auto.c); no TMPDIR: the
	 * images on tmpfs when they fit (image_dir.c) */
	struct xp_opts chosen = *o;
	char dir[PATH_MAX], dir_note[512] = "", mode_note[512] = "";
	if (o->explore_auto && xp_explore_auto(o, &chosen.lazy, mode_note,
			sizeof(mode_note), err, errlen) != 0)
		return -1;
	if (o->tmpdir == NULL) {
		if (xp_image_dir(o, dir, sizeof(dir), dir_note,
				sizeof(dir_note), err, errlen) != 0)
			return -1;
		chosen.tmpdir = dir;
	}
	o = &chosen;
	e.o = o;
	/* before setup: the workers fork from a small process */
	if (xp_lazy_pool_wanted(o))
		e.pool = xp_lazy_pool_start(o, lazy_worker);
	int rc = setup(&e, err, errlen);
	if (rc == 0)
		rc = run(&e, err, errlen);
	if (rc == 0) {
		struct xp_results res = { o, &e.r, &e.pts, e.states_at, e.img,
			e.nimg, e.st, e.nst, e.chk ? e.checks : e.done,
			e.bounded, e.chk, e.tmp, e.chk ? 0 : (int)*o->stop,
			e.points_done };
		rc = xp_verdict(&res, rp, err, errlen);
	}
	if (rc == 0)
		xp_engine_notes(&e, rp, mode_note, dir_note);
	free(e.fork_off);
	teardown(&e);
	return rc;
}
