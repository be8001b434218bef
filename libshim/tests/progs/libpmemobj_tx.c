/*
 * libpmemobj_tx.c -- an unmodified libpmemobj program: a pool with a root
 * object updated in transactions (TX_ADD), by pmemobj_memcpy and by a
 * direct store made durable with pmemobj_persist. Built twice:
 * FORGET_PERSIST copies the note with PMEMOBJ_F_MEM_NOFLUSH, so it is
 * never flushed (libpmemobj passes that to pmem_memcpy through its PLT).
 *
 * usage: libpmemobj_tx POOL   (created if missing, opened otherwise)
 */
#include <libpmemobj.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LAYOUT "pmemu-libpmemobj-tx"
#define ROUNDS 8

struct root {
	uint64_t counter;
	uint64_t total;
	char note[64];
	uint64_t stamp;
};

static PMEMobjpool *
pool_open(const char *path)
{
	if (access(path, F_OK) == 0)
		return pmemobj_open(path, LAYOUT);
	return pmemobj_create(path, LAYOUT, PMEMOBJ_MIN_POOL, 0666);
}

/* add_round -- one transaction: both fields change, or neither */
static int
add_round(PMEMobjpool *pop, struct root *r, uint64_t n)
{
	int ret = 0;
	TX_BEGIN(pop) {
		pmemobj_tx_add_range_direct(r, 2 * sizeof(uint64_t));
		r->counter += 1;
		r->total += n;
	} TX_ONABORT {
		ret = -1;
	} TX_END
	return ret;
}

int
main(int argc, char *argv[])
{
	static const char note[] = "updated by libpmemobj_tx";

	if (argc != 2) {
		fprintf(stderr, "usage: %s POOL\n", argv[0]);
		return 2;
	}
	PMEMobjpool *pop = pool_open(argv[1]);
	if (pop == NULL) {
		fprintf(stderr, "pool %s: %s\n", argv[1], pmemobj_errormsg());
		return 1;
	}
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	for (uint64_t n = 1; n <= ROUNDS; n++) {
		if (add_round(pop, r, n) != 0) {
			fprintf(stderr, "transaction aborted\n");
			return 1;
		}
	}
#ifndef FORGET_PERSIST
	pmemobj_memcpy(pop, r->note, note, sizeof(note), 0); /* COPY */
#else
	pmemobj_memcpy(pop, r->note, note, sizeof(note), PMEMOBJ_F_MEM_NOFLUSH); /* COPY_NOFLUSH */
#endif
	r->stamp = r->counter * 1000 + r->total; /* STORE */
	pmemobj_persist(pop, &r->stamp, sizeof(r->stamp)); /* PERSIST */
	printf("counter=%lu total=%lu\n", (unsigned long)r->counter,
			(unsigned long)r->total);
	pmemobj_close(pop);
	return 0;
}
