/*
 * usc.c -- DIR/.pmemu-dimm read and written by the explorer and the CLI
 *
 * A power failure moves a DIMM's unsafe shutdown count; a clean shutdown
 * leaves it. Every crash image pmemu builds (explore's checks, replay -o)
 * therefore holds the DIMM of the recording's pmem dir with its count one
 * higher, which the shim hands to the check (libpmem2's
 * pmem2_source_device_usc, libndctl's ndctl_dimm_get_dirty_shutdown).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "usc.h"

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
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t k = write(fd, text, n);
	int rc = k < 0 ? -errno : (size_t)k != n ? -ENOSPC : 0;
	close(fd);
	return rc;
}

void
xp_usc_remove(const char *dir)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, TRACE_DIMM_FILE);
	unlink(path);
}
