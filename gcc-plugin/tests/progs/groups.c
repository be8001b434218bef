/* groups.c -- stores through one base that follow one another share one
   range check and still call one hook each, in order; a check that
   follows a call loads the slot again (the call may map or unmap pmem) */
#include "prog.h"

struct node {
	long key;
	long value;
	struct node *next;
	int tag;
};

/* fill_node -- four stores, one check (when optimising) */
NOIPA void
fill_node(struct node *n, long k, long v, struct node *next)
{
	n->key = k;      /* pmemu: store 0 8 */
	n->value = v;    /* pmemu: store 8 8 */
	n->next = next;  /* pmemu: store 16 8 */
	n->tag = 7;      /* pmemu: store 24 4 */
}

/* straddle -- the node starts 8 bytes below the pmem range: the shared
   check holds, so both hooks run (the runtime drops the one outside) */
NOIPA void
straddle(struct node *n, long k, long v)
{
	n->key = k;    /* pmemu: store -8 8 */
	n->value = v;  /* pmemu: store 0 8 */
}

typedef unsigned long pair __attribute__((vector_size(16)));

/* fill_line -- an unrolled loop's four stores to one line: one check and,
   when optimising, one call of __pmemu_store_run for the four (one source
   location, one base, each store where the last ended) */
NOIPA void
fill_line(pair *p, unsigned long x)
{
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
		p[i] = (pair){ x, (unsigned long)i }; /* pmemu: store 128 16, store 144 16, store 160 16, store 176 16 */
}

/* remap -- the range changes between stores of one block: each store is
   checked against the range of its time */
NOIPA void
remap(char *p, char *range, size_t len)
{
	p[0] = 1;                           /* pmemu: store 64 1 */
	pmemu_unregister_pmem(range, len);
	p[8] = 2;
	pmemu_register_pmem(range, len, "prog");
	p[16] = 3;                          /* pmemu: store 80 1 */
}

int
main(void)
{
	/* the middle page of three is the pmem range */
	static char arena[3 * 4096] __attribute__((aligned(4096)));
	char *pm = arena + 4096;
	pmemu_register_pmem(pm, 4096, "prog");
	struct node other;
	fill_node((struct node *)pm, 1, 2, NULL);
	fill_node(&other, 3, 4, &other); /* not pmem: no hook */
	straddle((struct node *)(pm - 8), 5, 6);
	fill_line((pair *)(pm + 128), 9);
	remap(pm + 64, pm, 4096);
	printf("groups %lu\n", prog_sum(pm, 192));
	return 0;
}
