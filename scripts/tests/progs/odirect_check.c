/* odirect_check.c -- a check that reads its image with O_DIRECT, for
 * test_explore_tmpfs.py: `odirect_check IMAGE`. Reads the first 4096
 * bytes into an aligned buffer; exit 1 when line 1 starts with 'B' and
 * line 0 does not start with 'A' (B durable before A), 3 when the open or
 * the read fails (a file system without O_DIRECT: EINVAL), else 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	void *buf;
	if (argc != 2 || posix_memalign(&buf, 4096, 4096) != 0)
		return 2;
	int fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || pread(fd, buf, 4096, 0) != 4096) {
		perror(argv[1]);
		return 3;
	}
	const char *p = buf;
	return p[64] == 'B' && p[0] != 'A';
}
