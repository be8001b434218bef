/* clflush.c -- _mm_clflush needs no fence (MODEL.md: it is ordered with
 * the thread's later stores); the buggy twin has no flush */
#include <emmintrin.h>
#include "e2e.h"

struct rec {
	long a;
	char pad[56];
	long b;
};

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	r->a = 1;
	r->b = argc; /* PLANTED */
	e2e_persist(&r->a, sizeof(r->a));
#ifndef BUGGY
	_mm_clflush(&r->b);
#endif
	return 0;
}
