/*
 * shim_bench_dram.c -- DRAM-heavy work (a 64 MiB hash-mixing and sorting
 * workload in malloc'd memory) that persists a small summary to pmem now
 * and then
 */
#include <err.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdlib.h>

#define WORDS (8u << 20)

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	size_t len;
	int is_pmem;
	uint64_t *pm = pmem_map_file(argv[1], 1 << 20, PMEM_FILE_CREATE, 0644,
			&len, &is_pmem);
	uint64_t *v = malloc(WORDS * sizeof(*v));
	if (pm == NULL || v == NULL)
		err(1, "setup");
	uint64_t x = 88172645463325252ull;
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < WORDS; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v[i] = x;
		}
		qsort(v, WORDS, sizeof(*v), cmp);
		pm[round * 8] = v[WORDS / 2];
		pmem_persist(&pm[round * 8], 8);
	}
	pmem_unmap(pm, len);
	free(v);
	return 0;
}
