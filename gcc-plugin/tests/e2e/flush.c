/* flush.c -- flush and fence intrinsics: FLUSH (_mm_clwb by default) then
 * FENCE (_mm_sfence by default); the buggy twin has no fence */
#include <immintrin.h>
#include "e2e.h"

#ifndef FLUSH
#define FLUSH _mm_clwb
#endif
#ifndef FENCE
#define FENCE _mm_sfence
#endif

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
	r->b = argc;
	e2e_persist(&r->a, sizeof(r->a));
	FLUSH(&r->b); /* PLANTED */
#ifndef BUGGY
	FENCE();
#endif
	return 0;
}
