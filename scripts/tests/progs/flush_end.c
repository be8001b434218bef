/*
 * flush_end.c -- every line of a 2-page pool stored and made durable,
 * the pool mapped just below a PROT_NONE guard page: the flush of its
 * last line (which prefetches the line after it, shim_events.c) must
 * neither fault nor change what is reported. Built with -mclwb, with
 * and without the plugin.
 *   flush_end POOL raw|persist|skip
 * raw:     a store, a clwb and an sfence per line
 * persist: a store and a pmem_persist per line
 * skip:    as raw, the pool's last line never flushed (one finding)
 */
#include <fcntl.h>
#include <immintrin.h>
#include <libpmem.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL (2 * 4096)
#define LINES (POOL / 64)

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: flush_end POOL raw|persist|skip\n");
		return 2;
	}
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, POOL) != 0)
		return 1;
	/* the pool and the guard page after it: one reservation */
	char *area = mmap(NULL, POOL + 4096, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 1;
	volatile uint64_t *p = mmap(area, POOL, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, fd, 0);
	if ((char *)p != area)
		return 1;
	bool persist = !strcmp(argv[2], "persist");
	bool skip = !strcmp(argv[2], "skip");
	for (long line = 0; line < LINES; line++) {
		volatile uint64_t *w = p + line * 8;
		for (int i = 0; i < 8; i++)
			w[i] = (uint64_t)(line * 8 + i) | 1; /* STORE */
		if (persist) {
			pmem_persist((void *)w, 64);
			continue;
		}
		if (!(skip && line == LINES - 1))
			_mm_clwb((void *)w);
		_mm_sfence();
	}
	munmap(area, POOL + 4096);
	close(fd);
	return 0;
}
