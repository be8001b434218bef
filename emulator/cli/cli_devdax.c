/*
 * cli_devdax.c -- `--devdax NAME:SIZE` of run/record/explore: the media
 * file of an emulated device DAX, /dev/NAME, under the pmem dir
 * (docs/shim.md, "Device DAX")
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_launch.h"

#define DEVDAX_ALIGN (2ull << 20)

bool
cli_devdax_name(const char *name)
{
	unsigned r, n;
	int end = 0;
	return sscanf(name, "dax%u.%u%n", &r, &n, &end) == 2 &&
		name[end] == '\0' && name[3] >= '0' && name[3] <= '9' &&
		strspn(name + 3, "0123456789.") == strlen(name + 3);
}

/* parse_size -- bytes, or a K, M or G (binary) multiple; 0 if bad */
static unsigned long long
parse_size(const char *s)
{
	char *end;
	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 :
		*end == 'G' ? 30 : 0;
	if (shift != 0)
		end++;
	if (*end != '\0' || errno != 0 || v > (1ull << 50) >> shift)
		return 0;
	return v << shift;
}

int
launch_devdax(const char *pmem_dir, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char name[64];
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(name))
		return cli_error("--devdax %s: expected NAME:SIZE, e.g. "
			"dax0.0:64M", spec);
	snprintf(name, sizeof(name), "%.*s", (int)(colon - spec), spec);
	if (!cli_devdax_name(name))
		return cli_error("--devdax %s: NAME must be dax<R>.<N>, e.g. "
			"dax0.0", spec);
	unsigned long long size = parse_size(colon + 1);
	if (size == 0 || size % DEVDAX_ALIGN != 0)
		return cli_error("--devdax %s: SIZE must be a multiple of 2 MiB "
			"(the device alignment), e.g. 64M", spec);
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", pmem_dir, name);
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size !=
				size)
			return cli_error("--devdax %s: %s exists with another "
				"size (%lld bytes); a device's size is fixed",
				spec, path, (long long)st.st_size);
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return cli_error("--devdax %s: %s: %s", spec, path, strerror(e));
	}
	close(fd);
	return 0;
}
