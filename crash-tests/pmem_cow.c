/*
 * pmem_cow.c -- libpmem: a copy-on-write array of records
 *
 * Two copies of an array; an update writes the inactive copy whole
 * (elements, generation, checksum), persists it, then publishes it with
 * one 8-byte store of `active` (generation << 1 | copy). The check takes
 * the published copy and verifies its generation and checksum.
 *
 * Planted bugs: `wrong-order` publishes before the copy is persisted;
 * `torn-publish` updates a 16-byte {generation, value} descriptor in place
 * with one wide store, which a power failure may leave half old, half new.
 */
#include <stdio.h>
#include <string.h>

#include <emmintrin.h>
#include <libpmem.h>

#include "ct.h"

#define ELEMS 12
#define UPDATES 3

struct copy {
	uint64_t gen;
	uint64_t elem[ELEMS];
	uint64_t sum;              /* ct_sum of gen and elem[] */
} __attribute__((aligned(64)));

struct desc {                  /* two halves that must agree */
	uint64_t gen;
	uint64_t value;            /* gen * 3 + 1 */
} __attribute__((aligned(64)));

struct cow {
	uint64_t active;           /* gen << 1 | copy index */
	char pad[56];
	struct copy copy[2];
	struct desc desc;
};

static struct cow *
cow_map(const char *path, int flags)
{
	size_t len;
	struct cow *c = pmem_map_file(path, flags ? sizeof(struct cow) : 0,
			flags, 0644, &len, NULL);
	if (c == NULL)
		ct_die("%s: %m", path);
	if (len < sizeof(struct cow))
		ct_die("%s: %zu bytes, too short", path, len);
	return c;
}

static void
cow_update(struct cow *c, unsigned idx, uint64_t value)
{
	uint64_t gen = (c->active >> 1) + 1;
	struct copy *from = &c->copy[c->active & 1];
	struct copy *to = &c->copy[!(c->active & 1)];
	memcpy(to->elem, from->elem, sizeof(to->elem));
	to->elem[idx] = value;
	to->gen = gen;
	to->sum = ct_sum(&to->gen, sizeof(to->gen) + sizeof(to->elem));
	if (ct_bug("wrong-order"))
		c->active = gen << 1 | (uint64_t)(to - c->copy);
	pmem_persist(&c->active, sizeof(c->active)); /* PLANTED: wrong-order */
	pmem_persist(to, sizeof(*to));
	c->active = gen << 1 | (uint64_t)(to - c->copy);
	pmem_persist(&c->active, sizeof(c->active));
}

/* desc_publish -- the 16-byte descriptor: in place (torn) or not at all */
static void
desc_publish(struct cow *c, uint64_t gen)
{
	if (!ct_bug("torn-publish"))
		return;
	__m128i v = _mm_set_epi64x((long long)(gen * 3 + 1), (long long)gen);
	_mm_store_si128((__m128i *)&c->desc, v); /* PLANTED: torn-publish */
	pmem_persist(&c->desc, sizeof(c->desc));
}

static int
cow_run(const char *pool)
{
	struct cow *c = cow_map(pool, PMEM_FILE_CREATE);
	c->desc.value = 1;
	pmem_persist(&c->desc, sizeof(c->desc));
	for (unsigned i = 0; i < UPDATES; i++) {
		cow_update(c, i * 5 % ELEMS, 1000 + i);
		desc_publish(c, i + 1);
	}
	pmem_unmap(c, sizeof(*c));
	return 0;
}

static int
cow_check(const char *pool)
{
	struct cow *c = cow_map(pool, 0);
	if (c->desc.value != c->desc.gen * 3 + 1 && c->desc.value != 0)
		return ct_fail("descriptor torn: gen %llu value %llu",
				(unsigned long long)c->desc.gen,
				(unsigned long long)c->desc.value);
	if (c->active == 0)
		return 0; /* nothing published yet */
	const struct copy *cp = &c->copy[c->active & 1];
	if (cp->gen != c->active >> 1)
		return ct_fail("published generation %llu, copy holds %llu",
				(unsigned long long)(c->active >> 1),
				(unsigned long long)cp->gen);
	if (ct_sum(&cp->gen, sizeof(cp->gen) + sizeof(cp->elem)) != cp->sum)
		return ct_fail("published copy %llu: bad checksum",
				(unsigned long long)(c->active & 1));
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "wrong-order", "torn-publish",
		NULL };
	static const struct ct_program p = { "pmem_cow", bugs, cow_run,
		cow_check };
	return ct_main(&p, argc, argv);
}
