/* lazy_xread.c -- `--explore lazy`: reads by the check (the recovery) of
 * lines that were not durable at the crash, whose content did not change
 * the verdict: XFDetector's cross-failure reads, as warnings
 * (docs/explore.md, "Reads of data that was not durable")
 *
 * An undecided line is an open line: its content at the crash was not
 * durable. libpmemu-lazy logs how each run first touched each undecided
 * line: a read ("R"), a store ("W": the recovery wrote it first, never
 * reported) or neither ("P": decided with its page or a stdio stream, not
 * known to be touched). A line read first by some run, whose every run
 * (those that read it, lost, and those that chose its other outcomes)
 * passed, is a finding when the line was dirty at the crash (stored and
 * not flushed since): the recovery used data the program had not yet
 * asked to persist, and the check cannot tell. A line only in flight
 * (flushed, its fence not reached) is the commit the crash interrupted:
 * every recovery reads its commit flag, so it is not reported. A line on
 * which some run failed is already a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"
#include "symbolize.h"
#include "xalloc.h"
#include "explain.h"

struct xp_xread {
	char **where;            /* per open line: the first read's "module+0x" */
	unsigned char *stored;   /* per open line: some run stored it first */
	size_t nopen, cap;
	struct xp_rxread *v;
	size_t n, capv;
	struct symbolizer *sym;
	char **modules;          /* symbolizer module ids */
	size_t nmodules;
};

struct xp_xread *
xp_xread_new(void)
{
	struct xp_xread *x = calloc(1, sizeof(*x));
	if (x == NULL || (x->sym = symbolizer_new()) == NULL)
		abort();
	return x;
}

static void
clear_point(struct xp_xread *x)
{
	for (size_t i = 0; i < x->nopen; i++) {
		free(x->where[i]);
		x->where[i] = NULL;
	}
	if (x->nopen)
		memset(x->stored, 0, x->nopen);
}

void
xp_xread_delete(struct xp_xread *x)
{
	clear_point(x);
	free(x->where);
	free(x->stored);
	for (size_t i = 0; i < x->n; i++)
		xp_rxread_free(&x->v[i]);
	free(x->v);
	xp_strv_free(x->modules, x->nmodules);
	symbolizer_delete(x->sym);
	free(x);
}

void
xp_xread_begin(struct xp_xread *x, size_t nopen)
{
	clear_point(x);
	if (nopen > x->cap) {
		x->where = xrealloc(x->where, nopen * sizeof(*x->where),
				"xread: where");
		x->stored = xrealloc(x->stored, nopen, "xread: stored");
		memset(x->where + x->cap, 0, (nopen - x->cap) *
				sizeof(*x->where));
		x->cap = nopen;
	}
	x->nopen = nopen;
	memset(x->stored, 0, nopen);
}

void
xp_xread_access(struct xp_xread *x, size_t line, const char *how)
{
	if (line >= x->nopen || how[0] == '\0')
		return;
	if (how[0] == 'W')
		x->stored[line] = 1;
	else if (how[0] == 'R' && x->where[line] == NULL)
		x->where[line] = xp_strdup(how[1] == ' ' ? how + 2 : "?");
}

/* module_id -- the symbolizer's id of a module path */
static uint32_t
module_id(struct xp_xread *x, const char *path)
{
	for (size_t i = 0; i < x->nmodules; i++)
		if (strcmp(x->modules[i], path) == 0)
			return (uint32_t)i;
	xp_strv_push(&x->modules, &x->nmodules, path);
	if (symbolizer_add_module(x->sym, (uint32_t)(x->nmodules - 1), path,
			0) != 0)
		abort();
	return (uint32_t)(x->nmodules - 1);
}

/* read_text -- "func (file.c:12)" of "/path/module+0x1a2b", or as is */
static char *
read_text(struct xp_xread *x, const char *where)
{
	const char *plus = strrchr(where, '+');
	if (plus == NULL || plus == where || where[0] != '/')
		return xp_strdup(where);
	char *path = xp_strdup(where);
	path[plus - where] = '\0';
	struct sym_frame fr[8];
	uint64_t off = strtoull(plus + 1, NULL, 16);
	symbolizer_resolve(x->sym, module_id(x, path), off, fr, 8);
	free(path);
	char buf[1024];
	sym_frame_format(&fr[0], buf, sizeof(buf)); /* the line of the read */
	return xp_strdup(buf);
}

static struct xp_rxread *
find(struct xp_xread *x, const struct xp_open *o, const char *read_at)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].line.region == o->line.region &&
				x->v[i].line.off == o->line.off &&
				strcmp(x->v[i].read_at, read_at) == 0)
			return &x->v[i];
	return NULL;
}

void
xp_xread_end(struct xp_xread *x, struct engine *e, size_t idx,
		const unsigned char *same)
{
	for (size_t i = 0; i < x->nopen; i++) {
		const struct xp_open *o = &e->open.v[i];
		if (x->where[i] == NULL || x->stored[i] || !same[i] ||
				!o->line.dirty)
			continue;
		char *at = read_text(x, x->where[i]);
		struct xp_rxread *f = find(x, o, at);
		if (f != NULL) {
			f->points++;
			free(at);
			continue;
		}
		x->v = xp_engine_grow(x->v, &x->capv, x->n + 1, sizeof(*x->v));
		f = &x->v[x->n++];
		memset(f, 0, sizeof(*f));
		f->point = e->pts.v[idx].point;
		f->points = 1;
		f->read_at = at;
		xp_explain_line(&e->r, o, &o->out[0], XP_LINE_LOST, &f->line);
	}
	clear_point(x);
}

void
xp_xread_report(struct xp_xread *x, struct xp_report *rp)
{
	rp->xreads = x->v;
	rp->nxreads = x->n;
	x->v = NULL;
	x->n = x->capv = 0;
}
