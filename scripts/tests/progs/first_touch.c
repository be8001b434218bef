/*
 * first_touch.c -- the raw loop's first pass (every word of a line
 * stored, a clwb per line, an sfence per 8 lines) over the first pages
 * of a pool, or over every other page of it; prints the page faults the
 * loop took in this process, the program's and the shim's, which runs in
 * it: "faults N" the exceptions (perf's software event, user mode; -1
 * when perf_event_open is not allowed), "minflt N" getrusage's minor
 * faults (those count the pages madvise(MADV_POPULATE_WRITE) filled
 * too). Built with -mclwb and the plugin (test_first_touch.py).
 *   first_touch POOL POOL_PAGES TOUCHED_PAGES seq|sparse
 * seq:    pages 0 .. TOUCHED_PAGES - 1 in order
 * sparse: pages 0, 2, 4, ... (TOUCHED_PAGES of them): no two in a row
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "pool_map.h"

#define LINES_PER_PAGE (4096 / 64)

static long
minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* a counter of this process's page faults in user mode, or -1 */
static int
fault_counter(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_PAGE_FAULTS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static long long
count(int counter)
{
	long long n = -1;
	if (counter >= 0 && read(counter, &n, sizeof(n)) != sizeof(n))
		n = -1;
	return n;
}

int
main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: first_touch POOL POOL_PAGES "
			"TOUCHED_PAGES seq|sparse\n");
		return 2;
	}
	long pages = atol(argv[2]), touched = atol(argv[3]);
	long stride = strcmp(argv[4], "sparse") == 0 ? 2 : 1;
	if (touched * stride > pages)
		return 2;
	int fd;
	volatile uint64_t *p = pool_map(argv[1], (size_t)pages * 4096, &fd);
	int counter = fault_counter();
	long long faults = count(counter);
	long before = minflt();
	for (long pg = 0; pg < touched * stride; pg += stride) {
		for (long l = 0; l < LINES_PER_PAGE; l++) {
			volatile uint64_t *w = p + (pg * LINES_PER_PAGE + l) * 8;
			for (int i = 0; i < 8; i++)
				w[i] = (uint64_t)(pg * 4096 + l * 64 + i) | 1;
			_mm_clwb((void *)w);
			if (l % 8 == 7)
				_mm_sfence();
		}
	}
	long after = minflt();
	faults = counter >= 0 ? count(counter) - faults : -1;
	printf("faults %lld\nminflt %ld\n", faults, after - before);
	return 0;
}
