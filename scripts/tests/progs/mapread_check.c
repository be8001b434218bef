/* mapread_check.c -- a check that reads its image through a shared
 * mapping and then writes the pages it read, for test_explore_tmpfs.py:
 * `mapread_check IMAGE LOG`. Appends "STATE SIZE DIGEST" to LOG (the
 * image's FNV-1a digest, read through the mapping), then flips a byte in
 * every page. On tmpfs those writes move no mtime (the pages were mapped
 * writable at the read): the explorer must still undo them. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	const char *state = getenv("PMEMU_STATE");
	if (argc != 3 || state == NULL)
		return 2;
	int fd = open(argv[1], O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return 3;
	size_t len = (size_t)st.st_size;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			0);
	if (p == MAP_FAILED)
		return 3;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	FILE *log = fopen(argv[2], "a");
	if (log == NULL)
		return 3;
	fprintf(log, "%s %zu %016llx\n", state, len, (unsigned long long)h);
	fclose(log);
	for (size_t i = 0; i < len; i += 4096)
		p[i] ^= 0x5a;
	munmap(p, len);
	close(fd);
	return 0;
}
