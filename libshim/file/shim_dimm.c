/*
 * shim_dimm.c -- DIR/.pmemu-dimm read for the program: its unsafe shutdown
 * count and unique id answer libpmem2 and libndctl (libshim/libpmem/)
 *
 * Read at each question, not cached: the questions are rare (a pool's open
 * and create) and a forked check must see its own image's file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dimm.h"
#include "shim_fatal.h"

#define FILE_MAX 4096

void
shim_dimm_read(struct trace_dimm *d)
{
	const struct shim_options *o = shim_opts();
	const char *dir = o->image_dir ? o->image_dir : o->pmem_dir;
	trace_dimm_default(d);
	if (dir == NULL)
		return;
	char path[PATH_MAX + 32], text[FILE_MAX + 1], err[256];
	snprintf(path, sizeof(path), "%s/%s", dir, TRACE_DIMM_FILE);
	int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			shim_fatal("%s: %s", path, strerror(errno));
		return;
	}
	size_t n = 0;
	ssize_t k;
	while (n < sizeof(text) &&
			(k = REAL(read)(fd, text + n, sizeof(text) - n)) > 0)
		n += (size_t)k;
	REAL(close)(fd);
	if (n > FILE_MAX)
		shim_fatal("%s: longer than %d bytes", path, FILE_MAX);
	if (trace_dimm_parse(text, n, d, err, sizeof(err)) != 0)
		shim_fatal("%s: %s", path, err);
}
