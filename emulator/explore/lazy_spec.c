/*
 * lazy_spec.c -- the files beside a slot's image that a lazy run's check
 * reads and writes: the spec libpmemu-lazy.so watches (the image files,
 * the undecided lines) and the log of the lines it read first
 * (libshim/lazy/lazy_watch.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	char path[PATH_MAX + 32];
	xp_lazy_side_path(e, slot, "log", path, sizeof(path));
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > LOG_KEEP_MAX && ftruncate(fd, 0) == 0)
		end = 0;
	close(fd);
	if (end < 0)
		return -EIO;
	e->lazy->log_from[slot] = end;
	return 0;
}

/* The spec is rewritten in place, never truncated to 0 (LOG_KEEP_MAX):
 * it is never empty (an "F" line per image file) */
int
xp_lazy_write_spec(struct engine *e, size_t slot, const struct lazy_node *d)
{
	char path[PATH_MAX + 32];
	int rc = start_log(e, slot);
	if (rc != 0)
		return rc;
	xp_lazy_side_path(e, slot, "spec", path, sizeof(path));
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	xp_lazy_fork_spec(e, slot, f);
	const struct xp_media *md = &e->r.media;
	for (size_t i = 0; i < md->n; i++)
		fprintf(f, "F %s/%s\n", xp_slot_dir(e->slots[slot]),
				md->regions[i].file);
	for (size_t i = 0; i < e->open.n; i++) {
		const struct xp_open *o = &e->open.v[i];
		if (d->known[i] == xp_lazy_line_full(e, i))
			continue;
		fprintf(f, "L %zu %llx %u %llx\n", region_index(md,
			o->line.region), (unsigned long long)o->line.off,
			o->line_len, (unsigned long long)d->known[i]);
		xp_lazy_fork_line(e, f, i, d);
	}
	bool ok = fflush(f) == 0 && ftruncate(fd, ftello(f)) == 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
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

/* The log's records, in the order the check's processes wrote them:
 *   L <w> <how> <where>  how a process first touched watched line w
 *   B <w> <mask>         the bytes of w a process read, unknown to it
 *   O <w>                a process stored the rest of w: later records
 *                        of w read its bytes, not the image's
 *   U <why>              a read pmemu cannot see
 * (w: the index of the line among the spec's "L" lines) */
/* read_text -- slot's run's records (from log_from), or NULL */
static char *
read_text(struct engine *e, size_t slot)
{
	char path[PATH_MAX + 32];
	xp_lazy_side_path(e, slot, "log", path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	off_t from = e->lazy->log_from[slot];
	char *text = NULL;
	if (end >= from) {
		size_t len = (size_t)(end - from), got = 0;
		text = xmalloc(len + 1, "read_text: text");
		while (got < len) {
			ssize_t n = pread(fd, text + got, len - got,
					from + (off_t)got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		text[got] = '\0';
	}
	if (fd >= 0)
		close(fd);
	return text;
}

size_t
xp_lazy_read_log(struct engine *e, size_t slot, const struct lazy_node *d,
		bool served)
{
	struct xp_lazy *lz = e->lazy;
	char *text = read_text(e, slot);
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
xp_lazy_parse_log(struct engine *e, const char *text,
		const struct lazy_parse *ps, const struct lazy_node *d)
{
	struct xp_lazy *lz = e->lazy;
	char line[PATH_MAX + 64];
	int at = 0;
	size_t nw = ps->nw, nread = 0;
	const size_t *watch = ps->watch;
	uint64_t *known = xcalloc(nw + 1, sizeof(*known), "read_log: known");
	char **how = xcalloc(nw + 1, sizeof(*how), "read_log: how");
	for (size_t w = 0; w < nw; w++)
		known[w] = d->known[watch[w]];
	for (const char *p = text; p != NULL && *p; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (p[0] == '[') { /* a run forked at the read: lazy_fork.c */
			p = xp_lazy_block_add(e, p, nread, ps);
			continue;
		}
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
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
