/* aggregate.c -- a struct assignment; the buggy twin never persists it */
#include "e2e.h"

struct point {
	long x, y, z;
	int tag;
};

struct rec {
	long a;
	char pad[56];
	struct point p; /* another line of the same page */
};

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	struct point q = { argc, 2L * argc, 3L * argc, 7 };
	r->a = 1;
	r->p = q; /* PLANTED */
	e2e_persist(&r->a, sizeof(r->a));
#ifndef BUGGY
	e2e_persist(&r->p, sizeof(r->p));
#endif
	return 0;
}
