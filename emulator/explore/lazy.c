/* lazy.c -- `--explore lazy`: the states of a crash point decided by what
 * the check reads (docs/explore.md, "Lazy exploration")
 *
 * A run checks an image where some open lines are decided (an outcome
 * chosen) and the others undecided: they hold their durable content (the
 * lost outcome) and the check runs under libpmemu-lazy.so, which logs the
 * first read of each undecided line, in order (libshim/lazy/lazy_watch.c).
 * A run that read undecided lines L1..Lk stands for the state where they
 * are lost; for every j and every other outcome o of Lj the state with
 * L1..Lj-1 lost and Lj = o differs from it only from that read on, so it
 * is a new run. Every combination of outcomes of the lines a check reads
 * is checked once; lines it never reads are never enumerated, and each
 * state's id names only its decided lines (the others are lost in the
 * image it checked: `pmemu replay` rebuilds it byte for byte).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libshim/lazy/lazy_branch.h"
#include "check.h"
#include "engine_impl.h"
#include "lazy_impl.h"
#include "xalloc.h"

static int restore_run(void *ctx, size_t slot, bool write);

struct xp_lazy *
xp_lazy_new(struct engine *e)
{
	struct xp_lazy *lz = xcalloc(1, sizeof(*lz), "xp_lazy_new: lz");
	lz->slot_node = xmalloc(e->nslots * sizeof(*lz->slot_node),
			"xp_lazy_new: lz->slot_node");
	lz->side = xcalloc(e->nslots, sizeof(*lz->side),
			"xp_lazy_new: lz->side");
	for (size_t i = 0; i < e->nslots; i++) {
		lz->slot_node[i] = SIZE_MAX;
		lz->side[i].spec_fd = lz->side[i].log_fd = -1;
	}
	lz->known_by_key = xp_linemap_new();
	lz->xr = xp_xread_new();
	xp_checker_set_restore(e->chk, restore_run, e);
	return lz;
}

static void
clear_nodes(struct xp_lazy *lz)
{
	for (size_t i = 0; i < lz->n; i++) {
		free(lz->node[i].pick);
		free(lz->node[i].known);
		free(lz->node[i].output);
		xp_lazy_block_free(lz->node[i].fork);
	}
	lz->n = lz->started = 0;
}

void
xp_lazy_delete(struct engine *e)
{
	struct xp_lazy *lz = e->lazy;
	xp_lazy_side_delete(e);
	clear_nodes(lz);
	for (size_t i = 0; i < lz->nknown; i++)
		xp_lazy_free_known(&lz->known[i]);
	free(lz->known);
	xp_linemap_delete(lz->known_by_key);
	free(lz->node);
	free(lz->slot_node);
	free(lz->side);
	free(lz->order);
	free(lz->bytes);
	free(lz->unseen);
	free(lz->first_unseen);
	free(lz->blocks);
	for (size_t i = 0; i < lz->how_cap; i++)
		free(lz->how[i]);
	free(lz->how);
	xp_xread_delete(lz->xr);
	free(lz);
	e->lazy = NULL;
}

/* new_node -- a copy of node parent's choices (SIZE_MAX: none) */
static size_t
new_node(struct engine *e, size_t parent)
{
	struct xp_lazy *lz = e->lazy;
	size_t n = e->open.n + 1;
	lz->node = xp_engine_grow(lz->node, &lz->cap, lz->n + 1,
			sizeof(*lz->node));
	struct lazy_node *d = &lz->node[lz->n];
	memset(d, 0, sizeof(*d));
	d->pick = xcalloc(n, sizeof(*d->pick), "new_node: d->pick");
	d->known = xcalloc(n, sizeof(*d->known), "new_node: d->known");
	if (parent != SIZE_MAX) { /* after the grow: lz->node moved */
		memcpy(d->pick, lz->node[parent].pick, n * sizeof(*d->pick));
		memcpy(d->known, lz->node[parent].known,
				n * sizeof(*d->known));
	}
	return lz->n++;
}

/* node_lines -- the lines of a node's image that are not lost */
static size_t
node_lines(struct engine *e, const struct lazy_node *d,
		struct xp_line_set *lines, struct xp_choice *choices)
{
	size_t n = 0;
	for (size_t i = 0; i < e->open.n; i++) {
		const struct xp_open *o = &e->open.v[i];
		if (d->pick[i] == 0)
			continue;
		lines[n] = (struct xp_line_set){ o->line.region, o->line.off,
			xp_open_content(o, d->pick[i]), false };
		choices[n] = (struct xp_choice){ o->line.region, o->line.off,
			o->out[d->pick[i]] };
		n++;
	}
	return n;
}

/* node_key -- the image of node k and which bytes of its lines are not
 * known (decided) in it */
static struct xp_hash
node_key(struct engine *e, const struct lazy_node *d,
		const struct xp_line_set *lines, size_t n)
{
	struct xp_hash key = xp_state_hash(e->base, lines, n), u = { 0, 0 };
	for (size_t i = 0; i < e->open.n; i++)
		if (d->known[i] != xp_lazy_line_full(e, i))
			xp_hash_add(&u, xp_line_hash(e->open.v[i].line.region,
					e->open.v[i].line.off,
					(const uint8_t *)&d->known[i],
					sizeof(d->known[i])));
	key.a ^= u.a * 0x9e3779b97f4a7c15ull;
	key.b += u.b;
	return key;
}

/* restore_run -- slot's run as it started (its image, spec and empty
 * read log), after a child of the fork server did not pass it: the
 * check runs again by exec (check.h); an eager check of a point that
 * fell back: its image (xp_engine_restore) */
static int
restore_run(void *ctx, size_t slot, bool write)
{
	struct engine *e = ctx;
	size_t k = e->lazy->slot_node[slot];
	if (k == SIZE_MAX)
		return xp_engine_restore(ctx, slot, write);
	if (write && (xp_slot_restore(e->slots[slot]) != 0 ||
			xp_lazy_write_spec(e, slot, &e->lazy->node[k]) != 0))
		return -1;
	return 0;
}

/* cxl_refused -- a run here would be refused (message): whether GPF
 * failed depends on lines not decided yet */
static bool
cxl_refused(struct engine *e, char *err, size_t errlen)
{
	if (!xp_engine_has_cxl(e))
		return false;
	if (err != NULL)
		snprintf(err, errlen, "--explore lazy: a trace with a cxl "
			"region is explored eagerly only (--explore eager)");
	return true;
}

/* start -- node k's run in a free slot */
static int
start(struct engine *e, size_t slot, size_t k, struct xp_line_set *lines,
		struct xp_choice *choices, const char *markers, char *err,
		size_t errlen)
{
	struct xp_lazy *lz = e->lazy;
	const struct lazy_node *d = &lz->node[k];
	if (cxl_refused(e, err, errlen))
		return -1;
	size_t n = node_lines(e, d, lines, choices);
	lz->node[k].key = node_key(e, d, lines, n);
	if (xp_engine_open_slot(e, slot, err, errlen) != 0 ||
			xp_engine_load_dimm(e, err, errlen) != 0)
		return -1;
	int rc = xp_slot_set(e->slots[slot], lines, n);
	if (rc == 0)
		rc = xp_lazy_write_spec(e, slot, d);
	if (rc != 0) {
		snprintf(err, errlen, "writing image in %s: %s",
			xp_slot_dir(e->slots[slot]), strerror(-rc));
		return -1;
	}
	char *id = xp_state_id(e->r.applied, choices, n);
	lz->slot_node[slot] = k;
	lz->busy++;
	lz->runs++;
	e->checks++;
	xp_check_start(e->chk, slot, xp_slot_dir(e->slots[slot]),
			xp_slot_pmem(e->slots[slot]), id, markers);
	free(id);
	return 0;
}

/* branch_read -- read j of node k's run saw the bytes fresh of line in
 * the content of its pick, having read known before: a new node per
 * other content of those bytes among the outcomes that agree with the
 * pick on known (the other lines as in the run at that read: run_known),
 * with its run when the check forked it there (lazy_fork.c) */
static void
branch_read(struct engine *e, size_t k, size_t j, size_t line,
		uint64_t known, uint64_t fresh, const uint64_t *run_known)
{
	struct xp_lazy *lz = e->lazy;
	const struct xp_open *ol = &e->open.v[line];
	uint32_t run_pick = lz->node[k].pick[line];
	const uint8_t *run = xp_open_content(ol, run_pick);
	for (size_t d = 0; d < ol->ndistinct; d++) {
		if (!lw_is_branch(xp_lazy_open_content, ol, d, run, known, fresh,
				ol->line_len))
			continue;
		size_t child = new_node(e, k); /* lz->node may move */
		memcpy(lz->node[child].known, run_known,
				e->open.n * sizeof(*run_known));
		lz->node[child].pick[line] = ol->distinct[d];
		lz->node[child].known[line] = known | fresh;
		lz->node[child].fork = xp_lazy_block_take(e, j, line,
				(uint32_t)d, known, fresh);
	}
}

/* branch -- node k's verdict, and a new node per other content of the
 * bytes of each read of its run (lz->order, lz->bytes; what the run read
 * before it as in the run, the lines it did not read lost) */
static void
branch(struct engine *e, size_t k, const struct xp_result *res,
		const char *output, size_t nread)
{
	struct xp_lazy *lz = e->lazy;
	lz->node[k].res = *res;
	lz->node[k].output = output ? xp_strdup(output) : NULL;
	uint64_t *run_known = xmalloc((e->open.n + 1) * sizeof(*run_known),
			"branch: run_known");
	memcpy(run_known, lz->node[k].known, e->open.n * sizeof(*run_known));
	for (size_t j = 0; j < nread; j++) {
		size_t line = lz->order[j];
		uint64_t fresh = lz->bytes[j] & ~run_known[line];
		xp_xread_access(lz->xr, line, lz->how[j]);
		if (fresh == 0)
			continue;
		branch_read(e, k, j, line, run_known[line], fresh, run_known);
		run_known[line] |= fresh;
	}
	xp_lazy_blocks_clear(lz);
	/* the lines its run decided (xread_point) */
	memcpy(lz->node[k].known, run_known, e->open.n * sizeof(*run_known));
	free(run_known);
}

/* from_known -- node k as the known run with its key, if any */
static bool
from_known(struct engine *e, size_t k, struct xp_line_set *lines,
		struct xp_choice *choices)
{
	struct xp_lazy *lz = e->lazy;
	struct lazy_node *d = &lz->node[k];
	d->key = node_key(e, d, lines, node_lines(e, d, lines, choices));
	struct lazy_known *kn = xp_lazy_find_known(lz, d->key);
	if (kn == NULL || (kn->imported && cxl_refused(e, NULL, 0)))
		return false;
	lz->order = xp_engine_grow(lz->order, &lz->order_cap, kn->nread + 1,
			sizeof(*lz->order));
	lz->bytes = xp_engine_grow(lz->bytes, &lz->bytes_cap, kn->nread + 1,
			sizeof(*lz->bytes));
	memcpy(lz->bytes, kn->bytes, kn->nread * sizeof(*lz->bytes));
	for (size_t j = 0; j < kn->nread; j++)
		xp_lazy_set_how(lz, j, kn->how[j]);
	for (size_t j = 0; j < kn->nread; j++)
		for (size_t i = 0; i < e->open.n; i++)
			if (e->open.v[i].line.region == kn->read[j].region &&
					e->open.v[i].line.off == kn->read[j].off)
				lz->order[j] = i;
	xp_lazy_block_free(d->fork); /* known: its forked run not needed */
	d->fork = NULL;
	if (kn->imported) { /* a worker ran it: as if this process had */
		kn->imported = false;
		lz->runs++;
		e->checks++;
		e->checks_forked += kn->res.forked;
	} else {
		lz->known_runs++;
	}
	branch(e, k, &kn->res, kn->output, kn->nread);
	return true;
}

/* completed -- a run's verdict and reads */
static void
completed(struct engine *e, size_t slot, const struct xp_result *res)
{
	struct xp_lazy *lz = e->lazy;
	size_t k = lz->slot_node[slot];
	lz->slot_node[slot] = SIZE_MAX;
	lz->busy--;
	e->checks_forked += res->forked;
	if (e->fork_off == NULL && xp_checker_fork_off(e->chk) != NULL)
		e->fork_off = xp_strdup(xp_checker_fork_off(e->chk));
	xp_lazy_token_give(e);
	xp_slot_after_check(e->slots[slot]);
	bool unseen = lz->unseen != NULL;
	size_t nread = xp_lazy_read_log(e, slot, &lz->node[k], res->forked);
	branch(e, k, res, res->kind != XP_RES_PASS ?
			xp_check_output(e->chk, slot) : NULL, nread);
	if (!unseen && lz->unseen == NULL)
		xp_lazy_remember(e, k, nread);
}

/* from_fork -- node k as the run its parent's check forked for it
 * (lazy_fork.c): counted as the run it stands for */
static bool
from_fork(struct engine *e, size_t k)
{
	struct xp_lazy *lz = e->lazy;
	struct lazy_block *b = lz->node[k].fork;
	if (b == NULL)
		return false;
	lz->node[k].fork = NULL;
	struct xp_result res = b->res;
	lz->runs++;
	e->checks++;
	e->checks_forked += res.forked;
	bool unseen = lz->unseen != NULL;
	char *output;
	size_t nread = xp_lazy_block_run(e, b, &lz->node[k], &output);
	branch(e, k, &res, output, nread);
	free(output);
	if (!unseen && lz->unseen == NULL)
		xp_lazy_remember(e, k, nread);
	return true;
}

/* idle_slot -- a slot running no check: neither a run of this point nor
 * an eager check of an earlier point (its image and read log in use) */
static size_t
idle_slot(struct engine *e)
{
	for (size_t i = 0; i < e->nslots; i++)
		if (e->lazy->slot_node[i] == SIZE_MAX &&
				!xp_engine_slot_checking(e, i))
			return i;
	return SIZE_MAX;
}

/* wait_one -- the next check to end: a run, or an eager check of an
 * earlier point (into its image); 0, 1 when a signal stopped the
 * exploration, -1 when the check killed its runner (message) */
static int
wait_one(struct engine *e, char *err, size_t errlen)
{
	size_t slot;
	struct xp_result res;
	int rc = xp_check_wait(e->chk, &slot, &res);
	if (rc == -2 || xp_engine_stopped(e))
		return 1;
	if (rc != 0)
		abort();
	if (e->lazy->slot_node[slot] == SIZE_MAX)
		return xp_engine_completed(e, slot, &res, err, errlen);
	if (res.kind == XP_RES_ERROR && res.code == XP_RUNNER_LOST)
		return xp_engine_lost_runner(xp_check_state(e->chk, slot), &res,
				err, errlen);
	completed(e, slot, &res);
	return 0;
}

/* run_tree -- every run of the point, in parallel slots */
static int
run_tree(struct engine *e, const char *markers, char *err, size_t errlen)
{
	struct xp_lazy *lz = e->lazy;
	struct xp_line_set *lines = xcalloc(e->open.n + 1, sizeof(*lines),
			"run_tree: lines");
	struct xp_choice *choices = xcalloc(e->open.n + 1, sizeof(*choices),
			"run_tree: choices");
	int rc = 0;
	new_node(e, SIZE_MAX);
	while (rc == 0 && (lz->started < lz->n || lz->busy > 0)) {
		bool more = lz->started < lz->n && lz->unseen == NULL &&
			lz->started < e->o->budget;
		if (more && (from_known(e, lz->started, lines, choices) ||
				from_fork(e, lz->started))) {
			lz->started++;
			continue;
		}
		size_t slot = more ? idle_slot(e) : SIZE_MAX;
		if (slot != SIZE_MAX && !xp_lazy_token_take(e, lz->busy == 0)) {
			if (lz->busy == 0) {
				rc = 1; /* stopped waiting for a token */
				break;
			}
			slot = SIZE_MAX;
		}
		if (slot == SIZE_MAX) {
			/* nothing to start, or every slot taken */
			if (lz->busy == 0 && (!more ||
					xp_checker_busy(e->chk) == 0))
				break;
			rc = wait_one(e, err, errlen);
			continue;
		}
		rc = start(e, slot, lz->started++, lines, choices, markers,
				err, errlen);
	}
	while (rc == 0 && lz->busy > 0)
		rc = wait_one(e, err, errlen);
	free(lines);
	free(choices);
	return rc;
}

static const struct engine *sort_engine;

/* cmp_node -- states in the order of their choices (the same for any
 * --jobs): lexicographic over the open lines */
static int
cmp_node(const void *a, const void *b)
{
	const struct lazy_node *x = a, *y = b;
	for (size_t i = 0; i < sort_engine->open.n; i++)
		if (x->pick[i] != y->pick[i])
			return x->pick[i] < y->pick[i] ? -1 : 1;
	return 0;
}

/* record_states -- the runs as the point's states and images */
static void
record_states(struct engine *e, size_t idx)
{
	struct xp_lazy *lz = e->lazy;
	struct xp_line_set *lines = xcalloc(e->open.n + 1, sizeof(*lines),
			"record_states: lines");
	struct xp_choice *choices = xcalloc(e->open.n + 1, sizeof(*choices),
			"record_states: choices");
	sort_engine = e;
	qsort(lz->node, lz->n, sizeof(*lz->node), cmp_node);
	for (size_t k = 0; k < lz->n; k++) {
		struct lazy_node *d = &lz->node[k];
		size_t n = node_lines(e, d, lines, choices);
		/* by point, then rank: the same in every shard (docs/
		 * report-json.md); e->ordinal counts states for --progress */
		uint64_t ordinal = (uint64_t)idx << 32 | k;
		e->ordinal++;
		e->states_at[idx]++;
		bool is_new;
		size_t im = xp_engine_image(e, xp_state_hash(e->base, lines, n),
				&is_new);
		e->st = xp_engine_grow(e->st, &e->capst, e->nst + 1,
				sizeof(*e->st));
		e->st[e->nst].point_idx = (uint32_t)idx;
		e->st[e->nst++].image = (uint32_t)im;
		struct xp_image *img = &e->img[im];
		img->states++;
		if (!is_new)
			continue;
		img->first_ordinal = ordinal;
		img->point_idx = idx;
		img->state = xp_state_id(e->pts.v[idx].point, choices, n);
		img->res = d->res;
		img->done = true;
		img->output = d->output;
		d->output = NULL;
		e->done++;
		e->failing += d->res.kind != XP_RES_PASS;
	}
	free(lines);
	free(choices);
}

/* xread_point -- the lines whose every run passed: their unpersisted
 * reads are findings (lazy_xread.c); not where the budget cut runs */
static void
xread_point(struct engine *e, size_t idx)
{
	struct xp_lazy *lz = e->lazy;
	unsigned char *same = xmalloc(e->open.n + 1, "xread_point: same");
	memset(same, 1, e->open.n + 1);
	for (size_t k = 0; k < lz->n; k++)
		for (size_t i = 0; i < e->open.n; i++)
			if (lz->node[k].known[i] &&
					lz->node[k].res.kind != XP_RES_PASS)
				same[i] = 0;
	xp_xread_end(lz->xr, e, idx, same);
	free(same);
}

int
xp_lazy_point(struct engine *e, size_t idx, char *err, size_t errlen)
{
	struct xp_lazy *lz = e->lazy;
	if (e->pool != NULL && xp_lazy_pool_wait(e, idx) != 0)
		return 1; /* stopped */
	char *markers = xp_replay_markers(&e->r);
	clear_nodes(lz);
	free(lz->unseen);
	lz->unseen = NULL;
	xp_xread_begin(lz->xr, e->open.n);
	int rc = run_tree(e, markers, err, errlen);
	free(markers);
	if (lz->started > lz->most_runs) {
		lz->most_runs = lz->started;
		lz->most_runs_point = e->pts.v[idx].point;
	}
	if (rc != 0)
		return rc;
	if (lz->unseen != NULL) {
		/* a read we could not see: every state of the point */
		lz->eager_points++;
		if (lz->first_unseen == NULL)
			lz->first_unseen = xp_strdup(lz->unseen);
		clear_nodes(lz);
		if (e->link != NULL)
			return 0; /* the parent explores the point itself */
		/* numbered as the lazy states are: by point, then rank */
		uint64_t count = e->ordinal;
		e->ordinal = (uint64_t)idx << 32;
		rc = xp_engine_enumerate(e, idx, err, errlen);
		e->ordinal = count + (e->ordinal - ((uint64_t)idx << 32));
		return rc;
	}
	if (lz->started < lz->n) {
		lz->budget_points++;
		lz->not_run += lz->n - lz->started;
		size_t n = lz->n;
		lz->n = lz->started; /* the runs that ran are the states */
		for (size_t k = lz->started; k < n; k++) {
			free(lz->node[k].pick);
			free(lz->node[k].known);
			xp_lazy_block_free(lz->node[k].fork);
		}
	} else {
		xread_point(e, idx);
	}
	record_states(e, idx);
	clear_nodes(lz);
	return 0;
}

void
xp_lazy_notes(struct engine *e, struct xp_report *rp)
{
	struct xp_lazy *lz = e->lazy;
	xp_xread_report(lz->xr, rp);
	rp->xreads_fail = e->o->error_on_xread;
	xp_report_add_note(rp, "--explore lazy: %llu runs of the check; the "
		"states are the combinations of outcomes of the lines the "
		"check read (lines it never read are lost in every state); "
		"most at one crash point: %llu (point %llu)",
		(unsigned long long)lz->runs,
		(unsigned long long)lz->most_runs,
		(unsigned long long)lz->most_runs_point);
	if (lz->known_runs)
		xp_report_add_note(rp, "--explore lazy: %llu states had the "
			"image and the undecided lines of an earlier run: its "
			"verdict and reads were used, not run again",
			(unsigned long long)lz->known_runs);
	if (lz->eager_points)
		xp_report_add_note(rp, "--explore lazy: at %llu crash points "
			"the check read the image in a way pmemu cannot see "
			"(%s): there every state was explored eagerly",
			(unsigned long long)lz->eager_points, lz->first_unseen);
	if (lz->budget_points)
		xp_report_add_note(rp, "--explore lazy: at %llu crash points "
			"more than --budget=%lu runs were needed: %llu branches "
			"(each one state or more) were not checked",
			(unsigned long long)lz->budget_points, e->o->budget,
			(unsigned long long)lz->not_run);
}
