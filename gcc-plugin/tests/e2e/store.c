/* store.c -- a plain store; the buggy twin never persists it */
#include "e2e.h"

struct rec {
	long a;
	char pad[56];
	long b; /* another line of the same page */
};

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	r->a = 1;
	r->b = 2; /* PLANTED */
	e2e_persist(&r->a, sizeof(r->a));
#ifndef BUGGY
	e2e_persist(&r->b, sizeof(r->b));
#endif
	return 0;
}
