/*
 * tx_add_late.c -- a libpmemobj transaction that stores to a field and
 * adds the field to the transaction only afterwards (XFDetector's
 * btree_race2 class: the undo log keeps the new value, so an abort or a
 * crash cannot restore the old one). With "correct" the add comes first.
 *
 * usage: tx_add_late POOL late|correct
 */
#include <err.h>
#include <libpmemobj.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define LAYOUT "pmemu-tx-add-late"

struct root {
	uint64_t value;
	uint64_t other;
};

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL late|correct", argv[0]);
	PMEMobjpool *pop = pmemobj_create(argv[1], LAYOUT, PMEMOBJ_MIN_POOL,
			0666);
	if (pop == NULL)
		errx(1, "%s: %s", argv[1], pmemobj_errormsg());
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	int late = strcmp(argv[2], "late") == 0;
	TX_BEGIN(pop) {
		if (late) {
			r->value = 42; /* STORE_BEFORE_ADD */
			pmemobj_tx_add_range_direct(&r->value, 8); /* LATE_ADD */
		} else {
			pmemobj_tx_add_range_direct(&r->value, 8);
			r->value = 42;
		}
	} TX_END
	pmemobj_close(pop);
	return 0;
}
