/* bitfield.c -- a bit-field store; the buggy twin never persists it */
#include "e2e.h"

struct rec {
	long a;
	char pad[56];
	struct {
		unsigned valid : 1;
		unsigned gen : 7;
		unsigned len : 24;
	} hdr; /* another line of the same page */
};

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	r->a = 1;
	r->hdr.gen = 5; /* PLANTED */
	e2e_persist(&r->a, sizeof(r->a));
#ifndef BUGGY
	e2e_persist(&r->hdr, sizeof(r->hdr));
#endif
	return 0;
}
