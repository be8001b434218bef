/*
 * badblocks.c -- a crash image's poisoned lines as a bad-block list
 *
 * The list has the shim's format and place (libshim/region/
 * shim_poison_store.c): DIR.pmemu/badblocks beside the image dir DIR, one
 * `FILE OFFSET LEN` a line, FILE the region's file name. A check under
 * the shim (PMEMU_IMAGE=DIR) loads it with the recording's own list, and
 * `pmemu run --pmem-dir DIR` after `pmemu replay -o DIR` finds it where
 * it looks for a pmem dir's bad blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "badblocks.h"

/* list_paths -- DIR.pmemu and DIR.pmemu/badblocks; 0 or -ENAMETOOLONG */
static int
list_paths(const char *dir, char *sub, char *path)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (snprintf(sub, PATH_MAX, "%.*s.pmemu", (int)n, dir) >= PATH_MAX ||
			snprintf(path, PATH_MAX, "%s/badblocks", sub) >=
			PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

void
xp_badblocks_remove(const char *dir)
{
	char sub[PATH_MAX], path[PATH_MAX];
	if (list_paths(dir, sub, path) != 0)
		return;
	unlink(path);
	rmdir(sub); /* fails while something else is in it: kept */
}

/* put_line -- "FILE OFF LEN\n" of a poisoned line, clipped to its file */
static int
put_line(FILE *f, struct xp_media *md, const struct xp_line_set *l)
{
	struct xp_region *r = xp_media_find(md, l->region);
	if (r == NULL || l->off >= r->len)
		return 0;
	uint64_t len = r->line_len;
	if (l->off + len > r->len)
		len = r->len - l->off;
	return fprintf(f, "%s %" PRIu64 " %" PRIu64 "\n", r->file, l->off,
			len) < 0 ? -EIO : 0;
}

int
xp_badblocks_write(const char *dir, struct xp_media *md,
		const struct xp_line_set *lines, size_t n)
{
	char sub[PATH_MAX], path[PATH_MAX];
	int rc = list_paths(dir, sub, path);
	size_t poisoned = 0;
	for (size_t i = 0; i < n; i++)
		poisoned += lines[i].poison;
	if (rc != 0 || poisoned == 0) {
		xp_badblocks_remove(dir);
		return rc;
	}
	if (mkdir(sub, 0755) != 0 && errno != EEXIST)
		return -errno;
	FILE *f = fopen(path, "we");
	if (f == NULL)
		return -errno;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (lines[i].poison)
			rc = put_line(f, md, &lines[i]);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc == 0 ? 1 : rc;
}
