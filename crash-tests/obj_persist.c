/*
 * obj_persist.c -- libpmemobj without transactions: pmemobj_memcpy_persist
 * and pmemobj_persist by hand
 *
 * A record area in the root object: the payload is copied in and
 * persisted with pmemobj_memcpy_persist, then its length (8 bytes: the
 * publish) is stored and persisted. The check verifies the published
 * payload against the checksum stored with it.
 */
#include <stdio.h>
#include <string.h>

#include "obj_common.h"

#define LAYOUT "ct-persist"
#define WRITES 3

struct root {
	uint64_t len;              /* published payload bytes, 0: none */
	char pad[56];
	uint64_t sum;              /* ct_sum of payload[0..len) */
	char payload[200];
};

static void
publish(PMEMobjpool *pop, struct root *r, const char *text)
{
	uint64_t n = strlen(text) + 1;
	if (ct_bug("wrong-order")) {
		r->len = n;
		pmemobj_persist(pop, &r->len, sizeof(r->len)); /* PLANTED: wrong-order */
	}
	r->len = 0;
	pmemobj_persist(pop, &r->len, sizeof(r->len));
	uint64_t sum = ct_sum(text, n);
	pmemobj_memcpy_persist(pop, &r->sum, &sum, sizeof(sum));
	pmemobj_memcpy_persist(pop, r->payload, text, n);
	r->len = n;
	pmemobj_persist(pop, &r->len, sizeof(r->len));
}

static int
persist_run(const char *pool)
{
	static const char *const texts[WRITES] = { "first payload",
		"a second, longer payload", "third" };
	PMEMobjpool *pop = ct_obj_open(pool, LAYOUT, 1);
	struct root *r = pmemobj_direct(pmemobj_root(pop,
			sizeof(struct root)));
	for (int i = 0; i < WRITES; i++)
		publish(pop, r, texts[i]);
	pmemobj_close(pop);
	return 0;
}

static int
persist_check(const char *pool)
{
	PMEMobjpool *pop = ct_obj_open(pool, LAYOUT, 0);
	if (pop == NULL)
		return ct_fail("pmemobj_open: %s", pmemobj_errormsg());
	const struct root *r = pmemobj_direct(pmemobj_root(pop,
			sizeof(struct root)));
	int verdict = 0;
	if (r->len > sizeof(r->payload))
		verdict = ct_fail("length %llu", (unsigned long long)r->len);
	else if (r->len && ct_sum(r->payload, r->len) != r->sum)
		verdict = ct_fail("published payload is not whole");
	return ct_obj_check_done(pop, pool, verdict);
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "wrong-order", NULL };
	static const struct ct_program p = { "obj_persist", bugs, persist_run,
		persist_check };
	return ct_main(&p, argc, argv);
}
