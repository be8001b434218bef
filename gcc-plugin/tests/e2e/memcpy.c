/* memcpy.c -- memcpy into pmem: 16 bytes (GCC expands it inline when
 * optimising) or, with -DLARGE, 2048 bytes of a size GCC cannot see (a
 * call to libc); the buggy twin never persists it */
#include "e2e.h"

#ifdef LARGE
#define LEN 2048
static volatile size_t len = LEN;
#else
#define LEN 16
static const size_t len = LEN;
#endif

struct rec {
	long a;
	char pad[56];
	char data[LEN]; /* other lines of the same page */
};

static char src[LEN];

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	memset(src, 'x' + argc, sizeof(src));
	r->a = 1;
	memcpy(r->data, src, len); /* PLANTED */
	e2e_persist(&r->a, sizeof(r->a));
#ifndef BUGGY
	e2e_persist(r->data, sizeof(r->data));
#endif
	return 0;
}
