/*
 * pool_map.h -- the pool of the raw-store test programs (hot_stray.c,
 * seq_pages.c, cycle_pages.c): FILE sized to len bytes and mapped
 * shared and writable; the program exits 1 when it cannot
 */
#ifndef POOL_MAP_H
#define POOL_MAP_H 1

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint64_t *
pool_map(const char *file, size_t len, int *fd)
{
	*fd = open(file, O_RDWR | O_CREAT, 0644);
	if (*fd < 0 || ftruncate(*fd, (off_t)len) != 0)
		exit(1);
	volatile uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		exit(1);
	return p;
}

#endif
