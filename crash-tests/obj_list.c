/*
 * obj_list.c -- libpmemobj's atomic API: a list built with pmemobj_alloc
 *
 * Each node is allocated straight into the list head (pmemobj_alloc
 * publishes the new PMEMoid atomically); its constructor fills the node,
 * links it to the old head and persists it before the allocation is
 * published. The check walks the list and verifies every node.
 */
#include <stdio.h>

#include "obj_common.h"

#define LAYOUT "ct-list"
#define NODES 3

struct node {
	uint64_t value;
	uint64_t sum;              /* ct_sum of value and next */
	PMEMoid next;
};

struct root {
	PMEMoid head;
};

struct node_args {
	uint64_t value;
	PMEMoid next;
};

static int
node_construct(PMEMobjpool *pop, void *ptr, void *arg)
{
	struct node *n = ptr;
	const struct node_args *a = arg;
	n->value = a->value; /* PLANTED: missing-flush */
	n->next = a->next;
	n->sum = ct_sum(&n->value, sizeof(n->value)) ^
		ct_sum(&n->next, sizeof(n->next));
	if (!ct_bug("missing-flush"))
		pmemobj_persist(pop, n, sizeof(*n));
	return 0;
}

static int
list_run(const char *pool)
{
	PMEMobjpool *pop = ct_obj_open(pool, LAYOUT, 1);
	struct root *r = pmemobj_direct(pmemobj_root(pop,
			sizeof(struct root)));
	for (uint64_t i = 1; i <= NODES; i++) {
		struct node_args a = { i * 7, r->head };
		if (pmemobj_alloc(pop, &r->head, sizeof(struct node), 1,
				node_construct, &a) != 0)
			ct_die("pmemobj_alloc: %s", pmemobj_errormsg());
	}
	pmemobj_close(pop);
	return 0;
}

static int
list_verify(const struct root *r)
{
	unsigned n = 0;
	for (PMEMoid o = r->head; !OID_IS_NULL(o); n++) {
		const struct node *nd = pmemobj_direct(o);
		if (n >= NODES || nd == NULL)
			return ct_fail("node %u: past the end", n);
		if (nd->sum != (ct_sum(&nd->value, sizeof(nd->value)) ^
				ct_sum(&nd->next, sizeof(nd->next))))
			return ct_fail("node %u: not whole", n);
		o = nd->next;
	}
	return 0;
}

static int
list_check(const char *pool)
{
	PMEMobjpool *pop = ct_obj_open(pool, LAYOUT, 0);
	if (pop == NULL)
		return ct_fail("pmemobj_open: %s", pmemobj_errormsg());
	const struct root *r = pmemobj_direct(pmemobj_root(pop,
			sizeof(struct root)));
	return ct_obj_check_done(pop, pool, list_verify(r));
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "missing-flush", NULL };
	static const struct ct_program p = { "obj_list", bugs, list_run,
		list_check };
	return ct_main(&p, argc, argv);
}
