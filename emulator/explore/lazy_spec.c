/*
 * lazy_spec.c -- the files beside a slot's image that a lazy run's check
 * reads and writes: the spec libpmemu-lazy.so watches (the image files,
 * the undecided lines) and the log of the lines it read first
 * (libshim/lazy/lazy_watch.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

int
xp_lazy_write_spec(struct engine *e, size_t slot, const struct lazy_node *d)
{
	char path[PATH_MAX + 32];
	xp_lazy_side_path(e, slot, "log", path, sizeof(path));
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	xp_lazy_side_path(e, slot, "spec", path, sizeof(path));
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	const struct xp_media *md = &e->r.media;
	for (size_t i = 0; i < md->n; i++)
		fprintf(f, "F %s/%s\n", xp_slot_dir(e->slots[slot]),
				md->regions[i].file);
	for (size_t i = 0; i < e->open.n; i++) {
		const struct xp_open *o = &e->open.v[i];
		if (!d->decided[i])
			fprintf(f, "L %zu %llx %u\n", region_index(md,
				o->line.region), (unsigned long long)o->line.off,
				o->line_len);
	}
	return fclose(f) == 0 ? 0 : -EIO;
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

size_t
xp_lazy_read_log(struct engine *e, size_t slot, const struct lazy_node *d)
{
	struct xp_lazy *lz = e->lazy;
	char path[PATH_MAX + 32], line[PATH_MAX + 64];
	int at = 0;
	xp_lazy_side_path(e, slot, "log", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (lz->unseen == NULL)
			lz->unseen = xp_strdup("the check's read log is missing");
		return 0;
	}
	/* watched index -> open line: the undecided lines, in order */
	size_t nw = 0, nread = 0;
	size_t *watch = xcalloc(e->open.n + 1, sizeof(*watch),
			"read_log: watch");
	unsigned char *got = xcalloc(e->open.n + 1, 1, "read_log: got");
	for (size_t i = 0; i < e->open.n; i++)
		if (!d->decided[i])
			watch[nw++] = i;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long w;
		if (line[0] == 'U' && lz->unseen == NULL) {
			line[strcspn(line, "\n")] = '\0';
			lz->unseen = xp_strdup(line + 2);
		} else if (sscanf(line, "L %lu%n", &w, &at) == 1 && w < nw &&
				!got[watch[w]]) {
			got[watch[w]] = 1;
			/* stored whole before any read: never read */
			if (line[at] == ' ' && line[at + 1] == 'O')
				continue;
			lz->order = xp_engine_grow(lz->order, &lz->order_cap,
					nread + 1, sizeof(*lz->order));
			lz->order[nread] = watch[w];
			line[strcspn(line, "\n")] = '\0';
			xp_lazy_set_how(lz, nread++, line + at + (line[at] == ' '));
		}
	}
	fclose(f);
	free(watch);
	free(got);
	return nread;
}
