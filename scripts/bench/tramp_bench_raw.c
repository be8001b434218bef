/*
 * tramp_bench_raw.c -- prebuilt code with raw flushes (build with -mclwb,
 * no plugin): store every 8-byte word of a 64 MiB pool mapped with
 * pmem_map_file, clwb each 64-byte line once written, sfence every 8
 * lines; 4 passes (issue 10's raw program)
 */
#include <err.h>
#include <immintrin.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>

#define POOL (64u << 20)
#define PASSES 4

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	size_t len;
	int is_pmem;
	uint64_t *p = pmem_map_file(argv[1], POOL, PMEM_FILE_CREATE, 0644, &len,
			&is_pmem);
	if (p == NULL)
		err(1, "pmem_map_file");
	for (uint64_t pass = 0; pass < PASSES; pass++) {
		for (size_t line = 0; line < POOL / 64; line++) {
			uint64_t *w = p + line * 8;
			for (int i = 0; i < 8; i++)
				w[i] = pass + line * 8 + i;
			_mm_clwb(w);
			if (line % 8 == 7)
				_mm_sfence();
		}
		_mm_sfence();
	}
	printf("%lu\n", (unsigned long)p[12345]);
	pmem_unmap(p, len);
	return 0;
}
