/* strcpy.c -- strcpy into pmem; the buggy twin never persists it */
#include "e2e.h"

struct rec {
	long a;
	char pad[56];
	char name[32]; /* another line of the same page */
};

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	r->a = 1;
	strcpy(r->name, argc > 2 ? argv[2] : "persistent name"); /* PLANTED */
	e2e_persist(&r->a, sizeof(r->a));
#ifndef BUGGY
	e2e_persist(r->name, strlen(r->name) + 1);
#endif
	return 0;
}
