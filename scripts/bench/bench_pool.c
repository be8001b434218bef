/*
 * bench_pool.c -- a libpmemobj pool created and closed: what a program
 * pays before it stores anything (pmemobj_create allocates the file)
 *   bench_pool FILE [MIB (1024)]   (no bug to plant)
 */
#include <libpmemobj.h>

#include "bench_args.h"

int
main(int argc, char *argv[])
{
	struct bench_args a = bench_args(argc, argv, 1024, 0);
	PMEMobjpool *pop = pmemobj_create(a.file, "bench",
		(size_t)a.n[0] << 20, 0644);
	if (pop == NULL)
		errx(1, "pmemobj_create: %s", pmemobj_errormsg());
	pmemobj_close(pop);
	return 0;
}
