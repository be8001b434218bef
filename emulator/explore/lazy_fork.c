/*
 * lazy_fork.c -- `--explore lazy --lazy-fork on`: the runs the check made
 * by forking at its reads (libshim/lazy/lazy_fork.c), taken as the runs
 * lazy.c would have made (docs/explore.md "Forking at the read")
 *
 * pmemu puts in a run's spec each watched line's contents ("P", "C") and
 * the timeout and budget ("X"). The run's root process, at its first read
 * of line L with bytes fresh (known before), forks a child per other
 * content d of them: its records come in the read log between "[ <w> <d>
 * <known> <fresh>" and "] <wait status> <timed out> <pid|->". Such a
 * block is the run of the node branch_read makes for that read and d,
 * when it matches it (the same read, line, known and fresh bytes: a read
 * of another process of the check can make them differ), and it is taken
 * as that node's run: its verdict, output and reads, its own blocks its
 * children's runs. It counts as a run and a check as the run it replaces
 * would have, and as forked by the fork server when it passed while the
 * server serves (the report is that of --lazy-fork off). A block that
 * matches no node is dropped; a node with none is run as before. A
 * failing block of a root the fork server ran is dropped too (only a
 * served PASS is taken: check_fork.c): the node runs as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_runner.h"
#include "lazy_impl.h"
#include "stateid.h"
#include "xalloc.h"

#define OUT_TAIL 4096 /* the tail of a failing block's output (check.c) */
#define CONTENT_MAX 1024 /* bytes of a line whose contents the spec holds */

void
xp_lazy_fork_spec(struct engine *e, size_t slot, struct xp_lazy_text *t)
{
	if (!e->o->lazy_fork)
		return; /* no wait file: nothing to remove each run */
	char path[PATH_MAX + 32];
	xp_lazy_side_path(e, slot, "wait", path, sizeof(path));
	unlink(path); /* its root creates it */
	xp_lazy_put(t, "X %llu %lu\n",
		(unsigned long long)(e->o->check.timeout_s * 1000),
		e->o->budget);
}

/* put_hex -- the len bytes of c in hex at the end of t */
static void
put_hex(struct xp_lazy_text *t, const uint8_t *c, uint32_t len)
{
	t->buf = xp_engine_grow(t->buf, &t->cap, t->len + 2 * (size_t)len + 1,
			1);
	for (uint32_t b = 0; b < len; b++) {
		t->buf[t->len++] = "0123456789abcdef"[c[b] >> 4];
		t->buf[t->len++] = "0123456789abcdef"[c[b] & 15];
	}
	t->buf[t->len] = '\0';
}

void
xp_lazy_fork_line(struct engine *e, struct xp_lazy_text *t, size_t i,
		const struct lazy_node *d)
{
	const struct xp_open *o = &e->open.v[i];
	if (!e->o->lazy_fork || o->ndistinct < 2 || o->line_len > CONTENT_MAX)
		return;
	size_t pick = SIZE_MAX;
	for (size_t k = 0; k < o->ndistinct; k++)
		if (o->distinct[k] == d->pick[i])
			pick = k;
	if (pick == SIZE_MAX)
		return;
	xp_lazy_put(t, "P %zu\n", pick);
	for (size_t k = 0; k < o->ndistinct; k++) {
		xp_lazy_put(t, "C %zu ", k);
		put_hex(t, xp_open_content(o, o->distinct[k]), o->line_len);
		/* its part of the state id (PMEMU_STATE of the child) */
		struct xp_choice ch = { o->line.region, o->line.off,
			o->out[o->distinct[k]] };
		char *id = xp_state_id(0, &ch, 1), *part = strchr(id, ':');
		if (part != NULL)
			xp_lazy_put(t, " %s\n", part + 1);
		else
			xp_lazy_put(t, " %u.%" PRIx64 "=-\n", o->line.region,
					o->line.off);
		free(id);
	}
}

/* unlink_outputs -- the output files the records of text name */
static void
unlink_outputs(const char *dir, const char *text)
{
	char path[PATH_MAX + 64];
	for (const char *p = text; p != NULL && *p; ) {
		long pid;
		int st, late;
		if (sscanf(p, "] %d %d %ld", &st, &late, &pid) == 3) {
			snprintf(path, sizeof(path), "%s.lazy-out-%ld", dir, pid);
			unlink(path);
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
}

/* block_free -- b, its output file, and (nested) those of the blocks in
 * it, not parsed */
static void
block_free(struct lazy_block *b, bool nested)
{
	if (b == NULL)
		return;
	if (nested)
		unlink_outputs(b->dir, b->text);
	if (b->out != NULL)
		unlink(b->out);
	free(b->out);
	free(b->text);
	free(b->dir);
	free(b->watch);
	free(b);
}

void
xp_lazy_block_free(struct lazy_block *b)
{
	block_free(b, true);
}

void
xp_lazy_blocks_clear(struct xp_lazy *lz)
{
	for (size_t i = 0; i < lz->nblocks; i++)
		xp_lazy_block_free(lz->blocks[i]);
	lz->nblocks = 0;
}

/* block_end -- the end of the block whose records start at p (after its
 * "[" line): its "]" line, or NULL (the run ended inside it) */
static const char *
block_end(const char *p)
{
	int depth = 0;
	while (p != NULL && *p) {
		if (p[0] == '[')
			depth++;
		else if (p[0] == ']' && depth-- == 0)
			return p;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

char *
xp_lazy_block_add(struct engine *e, char *begin, size_t nread,
		const struct lazy_parse *ps)
{
	struct xp_lazy *lz = e->lazy;
	const char *body = strchr(begin, '\n');
	const char *end = body ? block_end(body + 1) : NULL;
	if (end == NULL)
		return NULL;
	unsigned long w, d;
	unsigned long long known, fresh;
	long pid = 0;
	int st, late;
	char last[16] = "";
	bool ok = sscanf(begin, "[ %lu %lu %llx %llx", &w, &d, &known,
			&fresh) == 4 && w < ps->nw && nread > 0 &&
		sscanf(end, "] %d %d %15s", &st, &late, last) == 3 &&
		(strcmp(last, "-") == 0 || sscanf(last, "%ld", &pid) == 1);
	struct lazy_block *b = xcalloc(1, sizeof(*b), "block_add: b");
	b->dir = xp_strdup(ps->dir);
	b->text = xmalloc((size_t)(end - body), "block_add: b->text");
	memcpy(b->text, body + 1, (size_t)(end - body - 1));
	b->text[end - body - 1] = '\0';
	if (pid > 0) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s.lazy-out-%ld", ps->dir, pid);
		b->out = xp_strdup(path);
	}
	if (ok) {
		b->read = nread - 1;
		b->line = ps->watch[w];
		b->d = (uint32_t)d;
		b->known = known;
		b->fresh = fresh;
		b->watch = xmalloc((ps->nw + 1) * sizeof(*b->watch),
				"block_add: b->watch");
		memcpy(b->watch, ps->watch, ps->nw * sizeof(*b->watch));
		b->nw = ps->nw;
		xp_runner_status(st, late != 0, &b->res);
		/* counted as its run would be: a PASS from the fork server
		 * while it serves, a failure by exec (check_fork.c) */
		b->res.forked = b->res.kind == XP_RES_PASS &&
			e->o->check.fork_server && e->fork_off == NULL;
		b->served = ps->served;
		b->usable = !ps->served || b->res.kind == XP_RES_PASS;
	}
	lz->blocks = xp_engine_grow(lz->blocks, &lz->blocks_cap,
			lz->nblocks + 1, sizeof(*lz->blocks));
	lz->blocks[lz->nblocks++] = b;
	char *next = strchr(begin + (end - begin), '\n');
	return next ? next + 1 : begin + (end - begin) + strlen(end);
}

struct lazy_block *
xp_lazy_block_take(struct engine *e, size_t j, size_t line, uint32_t d,
		uint64_t known, uint64_t fresh)
{
	struct xp_lazy *lz = e->lazy;
	for (size_t i = 0; i < lz->nblocks; i++) {
		struct lazy_block *b = lz->blocks[i];
		if (b != NULL && b->usable && b->read == j && b->line == line &&
				b->d == d && b->known == known &&
				b->fresh == fresh) {
			lz->blocks[i] = NULL;
			return b;
		}
	}
	return NULL;
}

size_t
xp_lazy_block_run(struct engine *e, struct lazy_block *b,
		const struct lazy_node *d, char **output)
{
	*output = NULL;
	if (b->res.kind != XP_RES_PASS && b->out != NULL) {
		*output = xcalloc(OUT_TAIL + 1, 1, "block_run: output");
		int fd = open(b->out, O_RDONLY | O_CLOEXEC);
		off_t end = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);
		off_t from = end > OUT_TAIL ? end - OUT_TAIL : 0;
		ssize_t n = end > 0 ? pread(fd, *output, (size_t)(end - from),
				from) : 0;
		(*output)[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	struct lazy_parse ps = { b->watch, b->nw, b->dir, b->served };
	size_t nread = xp_lazy_parse_log(e, b->text, &ps, d);
	block_free(b, false); /* its blocks are lz->blocks now */
	return nread;
}
