/*
 * bench_fence.c -- N sfences and nothing else (no pmem: under `pmemu run`
 * each is a call of a trampoline, with little for the model to do), for
 * tramp_bench.py: what one call costs
 *   bench_fence FILE [N (10,000,000)]   (FILE is not used)
 */
#include <immintrin.h>
#include <stdio.h>

#include "bench_args.h"

int
main(int argc, char *argv[])
{
	struct bench_args a = bench_args(argc, argv, 10000000, 1);
	for (unsigned long i = 0; i < a.n[0]; i++)
		_mm_sfence();
	printf("%lu\n", a.n[0]);
	return 0;
}
