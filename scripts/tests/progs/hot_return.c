/*
 * hot_return.c -- a page written again every RETURN fences (a
 * transaction's page that its writes leave for a while, bench_obj's
 * slots), beside a page written at every fence; every store flushed and
 * fenced (no finding). Built with -mclwb.
 *   hot_return POOL
 */
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUNDS 20000
#define RETURN 150 /* fences between two stores to page 1 */

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hot_return POOL\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 2 * 4096) != 0)
		return 1;
	volatile uint64_t *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	for (uint64_t i = 0; i < ROUNDS; i++) {
		volatile uint64_t *w = &p[(i % 64) * 8]; /* page 0 */
		if (i % RETURN == 0)
			w = &p[512 + (i / RETURN % 64) * 8]; /* page 1 */
		*w = i;
		_mm_clwb((void *)w);
		_mm_sfence();
	}
	munmap((void *)p, 2 * 4096);
	close(fd);
	return 0;
}
