/* obj.c -- a plugin-built program on Debian's libpmemobj (not built with
 * the plugin): a transaction with TX_ADD, pmemobj_persist of a field,
 * then a direct store to another field; the buggy twin never persists
 * that store */
#include <libpmemobj.h>
#include <stdint.h>
#include <stdio.h>

POBJ_LAYOUT_BEGIN(e2e);
POBJ_LAYOUT_ROOT(e2e, struct root);
POBJ_LAYOUT_END(e2e);

struct root {
	uint64_t count;
	uint64_t total;
	char pad[48];
	uint64_t value; /* its own line */
	char pad2[56];
	uint64_t flag; /* its own line */
};

int
main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	PMEMobjpool *pop = pmemobj_create(argv[1], POBJ_LAYOUT_NAME(e2e),
					  PMEMOBJ_MIN_POOL, 0644);
	if (pop == NULL) {
		perror(argv[1]);
		return 1;
	}
	TOID(struct root) root = POBJ_ROOT(pop, struct root);
	TX_BEGIN(pop) {
		TX_ADD(root);
		D_RW(root)->count += 1;
		D_RW(root)->total += (uint64_t)argc;
	} TX_END
	D_RW(root)->value = 42;
	pmemobj_persist(pop, &D_RW(root)->value, sizeof(uint64_t));
	D_RW(root)->flag = 1; /* PLANTED */
#ifndef BUGGY
	pmemobj_persist(pop, &D_RW(root)->flag, sizeof(uint64_t));
#endif
	printf("count=%lu\n", (unsigned long)D_RO(root)->count);
	pmemobj_close(pop);
	return 0;
}
