/*
 * bench_store.c -- store every 8-byte word of a pmem_map_file pool and
 * make each 64-byte line durable once it is written, several passes:
 * with pmem_persist (libpmem), or built with -DBENCH_RAW -mclwb with a
 * clwb per line and an sfence per 8 lines (raw instructions)
 *   bench_store FILE [MIB (16; raw: 64) [PASSES (12; raw: 16)]] [bug]
 * bug: the last line of the last pass is never made durable
 */
#include <immintrin.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_args.h"

#ifdef BENCH_RAW
#define POOL_MIB 64
#define PASSES 16
static inline void
line_written(uint64_t *w, size_t line, bool skip)
{
	if (!skip)
		_mm_clwb(w);
	if (line % 8 == 7)
		_mm_sfence();
}
#define PASS_DONE() _mm_sfence()
#else
#define POOL_MIB 16
#define PASSES 12
static inline void
line_written(uint64_t *w, size_t line, bool skip)
{
	(void)line;
	if (!skip)
		pmem_persist(w, 64);
}
#define PASS_DONE() ((void)0)
#endif

int
main(int argc, char *argv[])
{
	struct bench_args a = bench_args(argc, argv, POOL_MIB, PASSES);
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
			line_written(w, line, a.bug && pass + 1 == a.n[1] &&
					line + 1 == pool / 64);
		}
		PASS_DONE();
	}
	printf("%lu\n", (unsigned long)p[12345 % (pool / 8)]);
	pmem_unmap(p, len);
	return 0;
}
