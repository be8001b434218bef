/*
 * bench_raw.c -- raw instructions (build with -mclwb): store every word
 * of a pmem_map_file pool, clwb each line, sfence every 8 lines
 *   bench_raw FILE [MIB (64) [PASSES (4)]] [bug]
 * bug: the last line of the last pass is not written back
 */
#include <immintrin.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_args.h"

int
main(int argc, char *argv[])
{
	struct bench_args a = bench_args(argc, argv, 64, 4);
	size_t pool = a.n[0] << 20, len;
	int is_pmem;
	uint64_t *p = pmem_map_file(a.file, pool, PMEM_FILE_CREATE, 0644, &len,
			&is_pmem);
	if (p == NULL)
		err(1, "pmem_map_file");
	for (uint64_t pass = 0; pass < a.n[1]; pass++) {
		for (size_t line = 0; line < pool / 64; line++) {
			uint64_t *w = p + line * 8;
			for (int i = 0; i < 8; i++)
				w[i] = pass + line * 8 + i; /* BUG: unpersisted */
			if (!(a.bug && pass + 1 == a.n[1] &&
					line + 1 == pool / 64))
				_mm_clwb(w);
			if (line % 8 == 7)
				_mm_sfence();
		}
		_mm_sfence();
	}
	printf("%lu\n", (unsigned long)p[12345 % (pool / 8)]);
	pmem_unmap(p, len);
	return 0;
}
