/*
 * lazy_spec.c -- the files beside a slot's image that a lazy run's check
 * reads and writes: the spec libpmemu-lazy.so watches (the image files,
 * the undecided lines) and the log of the lines it read first
 * (libshim/lazy/lazy_watch.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libshim/lazy/lazy_branch.h"
#include "lazy_impl.h"
#include "media.h"
#include "xalloc.h"

void
xp_lazy_side_path(struct engine *e, size_t slot, const char *what, char *buf,
		size_t len)
{
	snprintf(buf, len, "%s.lazy-%s", xp_slot_dir(e->slots[slot]), what);
}

/* region_index -- the image file of a region, in media order */
static size_t
region_index(const struct xp_media *md, uint32_t region)
{
	for (size_t i = 0; i < md->n; i++)
		if (md->regions[i].id == region)
			return i;
	return 0;
}

/* the branches a spec line counts up to (libpmemu-lazy's hot page limit
 * grows with them up to its cap: libshim/lazy/lazy_step.c) */
#define LAZY_SPEC_BRANCHES_MAX 64

const uint8_t *
xp_lazy_open_content(const void *ctx, size_t k)
{
	const struct xp_open *ol = ctx;
	return xp_open_content(ol, ol->distinct[k]);
}

/* branches_whole -- the runs a read of open line i's bytes not in known
 * would start (its contents agreeing with pick's on known, differing on
 * the rest), at most LAZY_SPEC_BRANCHES_MAX: the spec's weight of the
 * line, what deciding its page whole could cost */
static unsigned
branches_whole(struct engine *e, size_t i, uint32_t pick, uint64_t known)
{
	const struct xp_open *ol = &e->open.v[i];
	const uint8_t *run = xp_open_content(ol, pick);
	uint64_t rest = xp_lazy_line_full(e, i) & ~known;
	unsigned n = 0;
	for (size_t d = 0; d < ol->ndistinct && n < LAZY_SPEC_BRANCHES_MAX;
			d++)
		n += lw_is_branch(xp_lazy_open_content, ol, d, run, known,
				rest, ol->line_len);
	return n;
}

/* side_fd -- slot's side file what ("spec", "log"), opened at its first
 * use and kept: an open and a close per run were a third of pmemu's
 * system calls per lazy run (issue 16); -errno */
static int
side_fd(struct engine *e, size_t slot, const char *what, int *fd)
{
	if (*fd >= 0)
		return *fd;
	char path[PATH_MAX + 32];
	xp_lazy_side_path(e, slot, what, path, sizeof(path));
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return *fd >= 0 ? *fd : -errno;
}

void
xp_lazy_side_delete(struct engine *e)
{
	char path[PATH_MAX + 32];
	for (size_t i = 0; i < e->nslots && e->slots[i] != NULL; i++) {
		struct xp_lazy_side *sd = &e->lazy->side[i];
		if (sd->spec_fd >= 0)
			close(sd->spec_fd);
		if (sd->log_fd >= 0)
			close(sd->log_fd);
		free(sd->spec);
		xp_lazy_side_path(e, i, "spec", path, sizeof(path));
		unlink(path);
		xp_lazy_side_path(e, i, "log", path, sizeof(path));
		unlink(path);
		xp_lazy_side_path(e, i, "wait", path, sizeof(path));
		unlink(path); /* --lazy-fork: the root's (lazy_fork.c) */
	}
}

/* LOG_KEEP_MAX -- the bytes of earlier runs a read log keeps before it is
 * emptied: truncating a file to 0 on ext4 writes it back at its next
 * close (auto_da_alloc) and discards its blocks, a disk round trip per
 * run; so a run's log starts where the last one ended (log_from) */
#define LOG_KEEP_MAX (1 << 20)

/* start_log -- where slot's run's records will start in its read log
 * (created empty, or emptied once it holds LOG_KEEP_MAX) */
static int
start_log(struct engine *e, size_t slot)
{
	struct xp_lazy_side *sd = &e->lazy->side[slot];
	int fd = side_fd(e, slot, "log", &sd->log_fd);
	if (fd < 0)
		return fd;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > LOG_KEEP_MAX && ftruncate(fd, 0) == 0)
		end = 0;
	if (end < 0)
		return -EIO;
	sd->log_from = end;
	return 0;
}

void
xp_lazy_put(struct xp_lazy_text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->buf = xp_engine_grow(t->buf, &t->cap, t->len + (n > 0 ?
				(size_t)n : 0) + 64, 1);
	}
}

/* The spec is rewritten in place, never truncated to 0 (LOG_KEEP_MAX):
 * it is never empty (an "F" line per image file); not written at all
 * when it is the slot's last one (K=1: the points of one line in turn).
 * --lazy-fork on: its "X" line first (libshim/lazy/lazy_watch.c reads
 * the "F" lines after it), each "L" line's contents after it */
int
xp_lazy_write_spec(struct engine *e, size_t slot, const struct lazy_node *d)
{
	static struct xp_lazy_text t;
	struct xp_lazy_side *sd = &e->lazy->side[slot];
	int rc = start_log(e, slot);
	if (rc != 0)
		return rc;
	t.len = 0;
	xp_lazy_fork_spec(e, slot, &t);
	const struct xp_media *md = &e->r.media;
	for (size_t i = 0; i < md->n; i++)
		xp_lazy_put(&t, "F %s/%s\n", xp_slot_dir(e->slots[slot]),
				md->regions[i].file);
	for (size_t i = 0; i < e->open.n; i++) {
		const struct xp_open *o = &e->open.v[i];
		if (d->known[i] == xp_lazy_line_full(e, i))
			continue;
		xp_lazy_put(&t, "L %zu %llx %u %llx %u\n", region_index(md,
			o->line.region), (unsigned long long)o->line.off,
			o->line_len, (unsigned long long)d->known[i],
			branches_whole(e, i, d->pick[i], d->known[i]));
		xp_lazy_fork_line(e, &t, i, d);
	}
	if (sd->spec_ok && t.len == sd->spec_len &&
			memcmp(t.buf, sd->spec, t.len) == 0)
		return 0;
	int fd = side_fd(e, slot, "spec", &sd->spec_fd);
	if (fd < 0)
		return fd;
	bool was_ok = sd->spec_ok; /* else what the file holds is unknown */
	sd->spec_ok = false;
	if (pwrite(fd, t.buf, t.len, 0) != (ssize_t)t.len || ((!was_ok ||
			t.len < sd->spec_len) && ftruncate(fd, (off_t)t.len) != 0))
		return -EIO;
	sd->spec = xp_engine_grow(sd->spec, &sd->spec_cap, t.len, 1);
	memcpy(sd->spec, t.buf, t.len);
	sd->spec_len = t.len;
	sd->spec_ok = true;
	return 0;
}

void
xp_lazy_set_how(struct xp_lazy *lz, size_t j, const char *how)
{
	if (j >= lz->how_cap) {
		size_t cap = lz->how_cap;
		lz->how = xp_engine_grow(lz->how, &lz->how_cap, j + 1,
				sizeof(*lz->how));
		memset(lz->how + cap, 0, (lz->how_cap - cap) *
				sizeof(*lz->how));
	}
	free(lz->how[j]);
	lz->how[j] = xp_strdup(how);
}

/* add_read -- read j of the run: line, its new bytes, how */
static void
add_read(struct xp_lazy *lz, size_t j, size_t line, uint64_t bytes,
		const char *how)
{
	lz->order = xp_engine_grow(lz->order, &lz->order_cap, j + 1,
			sizeof(*lz->order));
	lz->bytes = xp_engine_grow(lz->bytes, &lz->bytes_cap, j + 1,
			sizeof(*lz->bytes));
	lz->order[j] = line;
	lz->bytes[j] = bytes;
	xp_lazy_set_how(lz, j, how ? how : "");
}

/* read_from -- the bytes of fd from off to its end, NUL-terminated (their
 * count in *len), or NULL */
static char *
read_from(int fd, off_t off, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = fd < 0 ? NULL : xmalloc(cap, "read_log: buf");
	while (buf != NULL) {
		if (cap - n < 2048)
			buf = xp_engine_grow(buf, &cap, cap * 2, 1);
		ssize_t r = pread(fd, buf + n, cap - n - 1, off + (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* The log's records, in the order the check's processes wrote them:
 *   L <w> <how> <where>  how a process first touched watched line w
 *   B <w> <mask>         the bytes of w a process read, unknown to it
 *   O <w>                a process stored the rest of w: later records
 *                        of w read its bytes, not the image's
 *   U <why>              a read pmemu cannot see
 * (w: the index of the line among the spec's "L" lines) */
size_t
xp_lazy_read_log(struct engine *e, size_t slot, const struct lazy_node *d,
		bool served)
{
	struct xp_lazy *lz = e->lazy;
	struct xp_lazy_side *sd = &lz->side[slot];
	size_t len = 0;
	char *text = read_from(sd->log_fd, sd->log_from, &len);
	if (text == NULL) {
		if (lz->unseen == NULL)
			lz->unseen = xp_strdup("the check's read log is missing");
		return 0;
	}
	/* watched index -> open line: the lines not known whole, in order */
	size_t nw = 0;
	size_t *watch = xcalloc(e->open.n + 1, sizeof(*watch),
			"read_log: watch");
	for (size_t i = 0; i < e->open.n; i++)
		if (d->known[i] != xp_lazy_line_full(e, i))
			watch[nw++] = i;
	struct lazy_parse ps = { watch, nw, xp_slot_dir(e->slots[slot]),
		served };
	size_t nread = xp_lazy_parse_log(e, text, &ps, d);
	free(watch);
	free(text);
	return nread;
}

size_t
xp_lazy_parse_log(struct engine *e, char *text, const struct lazy_parse *ps,
		const struct lazy_node *d)
{
	struct xp_lazy *lz = e->lazy;
	int at = 0;
	size_t nw = ps->nw, nread = 0;
	const size_t *watch = ps->watch;
	uint64_t *known = xcalloc(nw + 1, sizeof(*known), "read_log: known");
	char **how = xcalloc(nw + 1, sizeof(*how), "read_log: how");
	for (size_t w = 0; w < nw; w++)
		known[w] = d->known[watch[w]];
	for (char *p = text; p != NULL && *p; ) {
		if (p[0] == '[') { /* a run forked at the read: lazy_fork.c */
			p = xp_lazy_block_add(e, p, nread, ps);
			continue;
		}
		char *line = p, *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0'; /* in place: no copy of each line */
		p = nl ? nl + 1 : NULL;
		unsigned long w;
		unsigned long long mask;
		if (line[0] == 'U' && lz->unseen == NULL) {
			lz->unseen = xp_strdup(line + 2);
		} else if (sscanf(line, "L %lu%n", &w, &at) == 1 && w < nw &&
				how[w] == NULL) {
			how[w] = xp_strdup(line + at + (line[at] == ' '));
		} else if (sscanf(line, "O %lu", &w) == 1 && w < nw) {
			known[w] = xp_lazy_line_full(e, watch[w]);
		} else if (sscanf(line, "B %lu %llx", &w, &mask) == 2 &&
				w < nw) {
			uint64_t fresh = mask & xp_lazy_line_full(e, watch[w]) &
				~known[w];
			if (fresh == 0)
				continue;
			known[w] |= fresh;
			add_read(lz, nread++, watch[w], fresh, how[w]);
		}
	}
	for (size_t i = 0; i < nw; i++)
		free(how[i]);
	free(how);
	free(known);
	return nread;
}
