/*
 * shim_poison_option.c -- --badblock FILE:OFFSET:LEN (PMEMU_BADBLOCK):
 * each FILE must be a file under the pmem dir and the range inside it;
 * else the program stops with one line (exit 2) before it runs
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "real.h"
#include "shim_badblock_spec.h"
#include "shim_core.h"
#include "shim_poison.h"

/* spec_of -- the one FILE:OFFSET:LEN of the option starting at s */
static const char *
spec_of(const char *s, char *buf, size_t len)
{
	const char *e = strchr(s, ',');
	size_t n = e ? (size_t)(e - s) : strlen(s);
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), s);
	return buf;
}

void
shim_poison_apply_option(const char *spec)
{
	const char *dir = shim_opts()->pmem_dir;
	char file[SHIM_POISON_NAME_MAX], one[SHIM_POISON_NAME_MAX + 64];
	uint64_t off, len;
	const char *s = spec;
	for (const char *at = s; shim_badblock_next(&s, file, sizeof(file),
			&off, &len) > 0; at = s) {
		spec_of(at, one, sizeof(one));
		char path[PATH_MAX];
		struct stat st;
		if (dir == NULL)
			shim_fatal("--badblock %s: no --pmem-dir", one);
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if (REAL(stat)(path, &st) != 0 || !S_ISREG(st.st_mode))
			shim_fatal("--badblock %s: no file '%s' in the pmem dir "
				"%s", one, file, dir);
		if (off + len > (uint64_t)st.st_size)
			shim_fatal("--badblock %s: outside the file (%s is "
				"%" PRIu64 " bytes)", one, file,
				(uint64_t)st.st_size);
		if (shim_poison_add(file, off, len, true) != 0)
			shim_fatal("--badblock %s: more than %u poisoned lines",
				one, SHIM_POISON_MAX);
	}
}
