/*
 * shim_bench_obj.c -- 20,000 libpmemobj transactions, each adding to a
 * counter and writing a slot of an array in the root object
 */
#include <err.h>
#include <libpmemobj.h>
#include <stdint.h>

#define TXS 20000
#define SLOTS 1024

struct root {
	uint64_t counter;
	uint64_t slot[SLOTS];
};

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	PMEMobjpool *pop = pmemobj_create(argv[1], "bench", 16 << 20, 0644);
	if (pop == NULL)
		errx(1, "pmemobj_create: %s", pmemobj_errormsg());
	PMEMoid root = pmemobj_root(pop, sizeof(struct root));
	struct root *r = pmemobj_direct(root);
	for (int i = 0; i < TXS; i++) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range(root, 0, sizeof(uint64_t));
			r->counter++;
			pmemobj_tx_add_range(root, 8 + (i % SLOTS) * 8, 8);
			r->slot[i % SLOTS] = (uint64_t)i;
		} TX_ONABORT {
			errx(1, "abort");
		} TX_END
	}
	pmemobj_close(pop);
	return 0;
}
