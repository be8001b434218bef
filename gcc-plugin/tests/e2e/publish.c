/* publish.c -- publish a value with a valid flag in the same cache line:
 * the value must be stored first, since stores to one line reach the
 * media in program order (a crash may keep any prefix of them). The
 * buggy twin stores the value after the flag; only stores traced one by
 * one (the plugin) show pmemu the state "flag without value".
 *   publish POOL          write
 *   publish -c IMAGE      check: exit 1 if the flag is set without value */
#include <stdio.h>
#include "e2e.h"

#define VALUE 0x5eed5eedL

struct rec {
	long value;
	char pad[24]; /* not adjacent: GCC merges no stores */
	long valid;
};

static int
check(const char *path)
{
	struct rec r;
	FILE *f = fopen(path, "rb");
	if (f == NULL || fread(&r, sizeof(r), 1, f) != 1)
		return 0; /* nothing published yet */
	fclose(f);
	return r.valid != 0 && r.value != VALUE;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		return check(argv[2]);
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
#ifndef BUGGY
	r->value = VALUE;
#endif
	r->valid = 1;
#ifdef BUGGY
	r->value = VALUE; /* PLANTED */
#endif
	e2e_persist(r, sizeof(*r));
	return 0;
}
