/*
 * obj_kvmap.c -- libpmemobj: a transactional hash map
 *
 * Buckets of chained entries in the root object; each insert allocates an
 * entry, links it at the head of its bucket and counts it, all in one
 * transaction. The check opens the pool (libpmemobj recovers it), walks
 * every chain and verifies each entry and the count.
 */
#include <stdio.h>

#include "obj_common.h"

#define LAYOUT "ct-kvmap"
#define BUCKETS 4
#ifndef INSERTS
#define INSERTS 3 /* -DINSERTS=100: the 100-transaction benchmark */
#endif

struct entry {
	uint64_t key;
	uint64_t value;            /* key * 10 */
	PMEMoid next;
};

struct root {
	uint64_t count;
	PMEMoid bucket[BUCKETS];
};

static void
kv_insert(PMEMobjpool *pop, struct root *r, uint64_t key)
{
	unsigned b = key % BUCKETS;
	TX_BEGIN(pop) {
		PMEMoid oid = pmemobj_tx_alloc(sizeof(struct entry), 1);
		struct entry *e = pmemobj_direct(oid);
		e->key = key;
		e->value = key * 10;
		e->next = r->bucket[b];
		if (!ct_bug("missing-tx-add"))
			pmemobj_tx_add_range_direct(&r->bucket[b],
					sizeof(r->bucket[b]));
		r->bucket[b] = oid; /* PLANTED: missing-tx-add */
		pmemobj_tx_add_range_direct(&r->count, sizeof(r->count));
		r->count++;
	} TX_ONABORT {
		ct_die("insert %llu aborted", (unsigned long long)key);
	} TX_END
}

static int
kv_run(const char *pool)
{
	PMEMobjpool *pop = ct_obj_open(pool, LAYOUT, 1);
	PMEMoid root = pmemobj_root(pop, sizeof(struct root));
	struct root *r = pmemobj_direct(root);
	for (uint64_t k = 1; k <= INSERTS; k++)
		kv_insert(pop, r, k * 5);
	pmemobj_close(pop);
	return 0;
}

static int
kv_verify(struct root *r)
{
	uint64_t found = 0;
	for (unsigned b = 0; b < BUCKETS; b++) {
		for (PMEMoid o = r->bucket[b]; !OID_IS_NULL(o);) {
			const struct entry *e = pmemobj_direct(o);
			if (e == NULL || e->key % BUCKETS != b ||
					e->value != e->key * 10)
				return ct_fail("bucket %u: bad entry", b);
			if (++found > INSERTS)
				return ct_fail("bucket %u: a cycle", b);
			o = e->next;
		}
	}
	if (found != r->count)
		return ct_fail("%llu entries reachable, count says %llu",
				(unsigned long long)found,
				(unsigned long long)r->count);
	return 0;
}

static int
kv_check(const char *pool)
{
	PMEMobjpool *pop = ct_obj_open(pool, LAYOUT, 0);
	if (pop == NULL)
		return ct_fail("pmemobj_open: %s", pmemobj_errormsg());
	PMEMoid root = pmemobj_root(pop, sizeof(struct root));
	return ct_obj_check_done(pop, pool, kv_verify(pmemobj_direct(root)));
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "missing-tx-add", NULL };
	static const struct ct_program p = { "obj_kvmap", bugs, kv_run,
		kv_check };
	return ct_main(&p, argc, argv);
}
