/*
 * usc.c -- DIR/.pmemu-dimm read and written by the explorer and the CLI
 *
 * A DIMM's unsafe shutdown count moves when its contents could not be
 * saved at a power failure (a dirty shutdown); a power failure the
 * platform flushes through (adr, eadr: what those domains mean) and a
 * clean shutdown leave it. A crash image pmemu builds (explore's checks,
 * replay -o) holds the DIMM of the recording's pmem dir, its count one
 * higher in a cxl state whose Global Persistent Flush failed, which the
 * shim hands to the check (libpmem2's pmem2_source_device_usc, libndctl's
 * ndctl_dimm_get_dirty_shutdown).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usc.h"
#include "xalloc.h"

#define FILE_MAX 4096 /* a longer file is not one pmemu wrote */

int
xp_usc_load(const char *dir, struct trace_dimm *d, char *err,
		size_t errlen)
{
	char path[PATH_MAX + 32], text[FILE_MAX + 1];
	snprintf(path, sizeof(path), "%s/%s", dir, TRACE_DIMM_FILE);
	trace_dimm_default(d);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fread(text, 1, sizeof(text), f);
	int bad = ferror(f);
	fclose(f);
	char why[256];
	if (bad || n > FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, bad ? strerror(EIO) :
				"longer than 4096 bytes");
		return -1;
	}
	if (trace_dimm_parse(text, n, d, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

int
xp_usc_write(const char *dir, const struct trace_dimm *d, bool moved)
{
	struct trace_dimm w = *d;
	w.shutdown_count += moved; /* below UINT64_MAX: trace_dimm_parse */
	char path[PATH_MAX + 32], text[TRACE_DIMM_TEXT_MAX];
	size_t n = trace_dimm_format(&w, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/%s", dir, TRACE_DIMM_FILE);
	/* no O_TRUNC: ext4 writes a file truncated to 0 back at its close
	 * (auto_da_alloc), which a write per state cannot afford */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t k = pwrite(fd, text, n, 0);
	int rc = k < 0 ? -errno : (size_t)k != n ? -ENOSPC : 0;
	if (rc == 0 && ftruncate(fd, (off_t)n) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* file_stat -- DIR/.pmemu-dimm's stat; 0 or -1 */
static int
file_stat(const char *dir, struct stat *st)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, TRACE_DIMM_FILE);
	return stat(path, st);
}

int
xp_usc_write_cached(struct xp_usc_cache *c, const char *dir,
		const struct trace_dimm *d, bool moved)
{
	struct stat st;
	if (c->dir != NULL && strcmp(c->dir, dir) == 0 && c->moved == moved &&
			file_stat(dir, &st) == 0 && st.st_ino == c->ino &&
			st.st_mtim.tv_sec == c->mtim.tv_sec &&
			st.st_mtim.tv_nsec == c->mtim.tv_nsec)
		return 0;
	int rc = xp_usc_write(dir, d, moved);
	free(c->dir);
	c->dir = NULL;
	if (rc == 0 && file_stat(dir, &st) == 0) {
		c->dir = xstrdup(dir, "xp_usc_write_cached: dir");
		c->moved = moved;
		c->ino = st.st_ino;
		c->mtim = st.st_mtim;
	}
	return rc;
}

void
xp_usc_cache_free(struct xp_usc_cache *c)
{
	free(c->dir);
	c->dir = NULL;
}

void
xp_usc_remove(const char *dir)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, TRACE_DIMM_FILE);
	unlink(path);
}
