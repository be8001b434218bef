/*
 * sds_pool.c -- a libpmemobj pool with a counter; run with
 * PMEMOBJ_CONF="sds.at_create=1" its shutdown state (SDS) is kept: while
 * the pool is open it is marked dirty with the device's unsafe shutdown
 * count and id, and an open after a power failure (dirty, count moved) is
 * refused until `pmempool check --repair` (PMDK's pmempool-check(1),
 * pmemobj_open(3): EINVAL)
 *
 *   sds_pool POOL create   create the pool (counter 0) and close it
 *   sds_pool DEV create0   the same on a device DAX: pool size 0, the
 *                          whole device (PMDK refuses another size)
 *   sds_pool POOL update   open, add 1 to the counter in a transaction,
 *                          close
 *   sds_pool POOL open     open and print the counter; exit 1 when the
 *                          open is refused, with libpmemobj's message
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libpmemobj.h>

#define LAYOUT "sds_pool"

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *path = argv[1], *cmd = argv[2];
	bool create = strncmp(cmd, "create", 6) == 0;
	PMEMobjpool *pop = create ? pmemobj_create(path, LAYOUT,
			strcmp(cmd, "create0") ? PMEMOBJ_MIN_POOL : 0, 0600) :
		pmemobj_open(path, LAYOUT);
	if (pop == NULL) {
		printf("pmemobj_%s: %s (errno %s)\n", create ? "create" :
			"open", pmemobj_errormsg(),
			errno == EINVAL ? "EINVAL" : strerror(errno));
		return 1;
	}
	PMEMoid root = pmemobj_root(pop, sizeof(uint64_t));
	uint64_t *counter = pmemobj_direct(root);
	if (strcmp(cmd, "update") == 0) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range(root, 0, sizeof(*counter));
			*counter += 1;
		} TX_END
	}
	printf("counter %llu\n", (unsigned long long)*counter);
	pmemobj_close(pop);
	return 0;
}
