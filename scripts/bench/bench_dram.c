/*
 * bench_dram.c -- DRAM-heavy: multiply-add passes over a malloc'd array;
 * after each pass a 1 MiB slice of it is copied to pmem and persisted
 *   bench_dram FILE [MIB (64) [PASSES (192)]] [bug]
 * bug: the last pass's slice is never persisted
 */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_args.h"

#define SLICE (1u << 20)

int
main(int argc, char *argv[])
{
	struct bench_args a = bench_args(argc, argv, 64, 192);
	size_t words = (a.n[0] << 20) / sizeof(uint64_t), len;
	int is_pmem;
	uint64_t *pm = pmem_map_file(a.file, SLICE, PMEM_FILE_CREATE, 0644, &len,
			&is_pmem);
	uint64_t *v = malloc(words * sizeof(*v));
	if (pm == NULL || v == NULL)
		err(1, "setup");
	for (size_t i = 0; i < words; i++)
		v[i] = i;
	for (unsigned long pass = 0; pass < a.n[1]; pass++) {
		for (size_t i = 0; i < words; i++)
			v[i] = v[i] * 6364136223846793005ull + (pass | 1);
		size_t from = (pass * SLICE) % (words * 8 - SLICE + 8) / 8;
		memcpy(pm, v + from, SLICE); /* BUG: unpersisted */
		if (!(a.bug && pass + 1 == a.n[1]))
			pmem_persist(pm, SLICE);
	}
	printf("%lu\n", (unsigned long)pm[12345]);
	pmem_unmap(pm, len);
	free(v);
	return 0;
}
