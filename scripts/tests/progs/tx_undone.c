/*
 * tx_undone.c -- libpmemobj transactions that keep the root object's
 * page hot (writable across fences: docs/shim.md), and in the last one
 * (with "undone") a store to a field never added to the transaction
 * that is undone before the commit: in between, a TX_ADD persists its
 * undo log entry (a fence). A crash after that fence may find the
 * stored value durable, and the undo log cannot restore the field: a
 * store outside its transaction, seen by the fence; the compare at the
 * commit finds the field as it was. With "correct" no such store.
 *
 * usage: tx_undone POOL undone|correct
 */
#include <err.h>
#include <libpmemobj.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LAYOUT "pmemu-tx-undone"
#define ROUNDS 200

struct root {
	uint64_t round[64];
	uint64_t flag;
	uint64_t other;
};

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL undone|correct", argv[0]);
	int undone = strcmp(argv[2], "undone") == 0;
	PMEMobjpool *pop = pmemobj_create(argv[1], LAYOUT, PMEMOBJ_MIN_POOL,
			0666);
	if (pop == NULL)
		errx(1, "%s: %s", argv[1], pmemobj_errormsg());
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	for (uint64_t i = 0; i < ROUNDS; i++) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&r->round[i % 64], 8);
			r->round[i % 64] = i;
			if (undone && i + 1 == ROUNDS) {
				r->flag = 1; /* UNDONE */
				pmemobj_tx_add_range_direct(&r->other, 8);
				r->other = i;
				r->flag = 0;
			}
		} TX_END
	}
	pmemobj_close(pop);
	return 0;
}
