/*
 * bench_obj.c -- libpmemobj: transactions, each adding 8 bytes of the
 * root object (a counter) and 8 bytes at a scattered slot, then storing
 *   bench_obj FILE [TRANSACTIONS (200000)] [bug]
 * bug: the last transaction stores its slot without adding it
 */
#include <libpmemobj.h>
#include <stdint.h>

#include "bench_args.h"

#define SLOTS 1024

struct root {
	uint64_t counter;
	uint64_t slot[SLOTS];
};

int
main(int argc, char *argv[])
{
	struct bench_args a = bench_args(argc, argv, 200000, 1);
	PMEMobjpool *pop = pmemobj_create(a.file, "bench", 16 << 20, 0644);
	if (pop == NULL)
		errx(1, "pmemobj_create: %s", pmemobj_errormsg());
	PMEMoid root = pmemobj_root(pop, sizeof(struct root));
	struct root *r = pmemobj_direct(root);
	for (unsigned long i = 0; i < a.n[0]; i++) {
		size_t slot = (i * 37) % SLOTS;
		TX_BEGIN(pop) {
			pmemobj_tx_add_range(root, 0, sizeof(uint64_t));
			r->counter++;
			if (!(a.bug && i + 1 == a.n[0]))
				pmemobj_tx_add_range(root, 8 + slot * 8, 8);
			r->slot[slot] = (uint64_t)i; /* BUG: not added */
		} TX_ONABORT {
			errx(1, "abort");
		} TX_END
	}
	pmemobj_close(pop);
	return 0;
}
