/*
 * tx_add_late.c -- a libpmemobj transaction that stores to a field and
 * adds the field to the transaction only afterwards (XFDetector's
 * btree_race2 class: the undo log keeps the new value, so an abort or a
 * crash cannot restore the old one). With "correct" the add comes first.
 * "check" opens the pool (recovery runs) and exits 1 when the transaction
 * shows in part: value and other change together or not at all.
 *
 * "zeros" writes zeros over the zeros of a new root object with
 * pmemobj_memset_persist: a flush after a store, even a store of the
 * same value, is not redundant (no finding).
 *
 * usage: tx_add_late POOL|DEVICE late|correct|check|zeros
 */
#include <err.h>
#include <stdio.h>
#include <libpmemobj.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "pmemu.h"

#define LAYOUT "pmemu-tx-add-late"

struct root {
	uint64_t value;
	uint64_t other;
};

/* check -- 0 when the pool holds the transaction whole or not at all */
static int
check(const char *path)
{
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);
	if (pop == NULL)
		return 0; /* a crash while the pool was created */
	int ret = 0;
	if (pmemobj_root_size(pop) >= sizeof(struct root)) {
		struct root *r = pmemobj_direct(pmemobj_root(pop,
				sizeof(struct root)));
		ret = (r->value == 42) != (r->other == 1);
		if (ret)
			fprintf(stderr, "value %lu other %lu\n",
				(unsigned long)r->value,
				(unsigned long)r->other);
	}
	pmemobj_close(pop);
	return ret;
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL late|correct|check|zeros", argv[0]);
	if (strcmp(argv[2], "check") == 0)
		return check(argv[1]);
	PMEMobjpool *pop = pmemobj_create(argv[1], LAYOUT, access(argv[1], F_OK)
			? PMEMOBJ_MIN_POOL : 0, 0666); /* exists: a device DAX */
	if (pop == NULL)
		errx(1, "%s: %s", argv[1], pmemobj_errormsg());
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	if (strcmp(argv[2], "zeros") == 0) {
		pmemobj_memset_persist(pop, r, 0, sizeof(*r)); /* ZEROS */
		pmemobj_close(pop);
		return 0;
	}
	int late = strcmp(argv[2], "late") == 0;
	pmemu_crash_point("tx");
	TX_BEGIN(pop) {
		pmemobj_tx_add_range_direct(&r->other, 8);
		r->other = 1;
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
