/*
 * tx_line_sites.c -- one libpmemobj transaction writes two fields of the
 * root object, on two lines of one page: `a` in set_a, added as usual,
 * then `b` in set_b, added with POBJ_XADD_NO_FLUSH (the commit does not
 * flush it) and never flushed. Built without the plugin, b's store is
 * seen by page protection only, on a page a's store (or the allocation)
 * already made writable: the TX_ADD that announced b is the best site
 * known for it, not the page's first store (test_findings_builds.py).
 * A plain build single-steps the page's faults, so b's store faults and
 * is named exactly; with a second argument `filled`, a's line is stored
 * twice first, which ends the stepping of the page, and the TX_ADD names
 * b's store, as a guess.
 *
 * usage: tx_line_sites POOL [filled]
 */
#include <err.h>
#include <libpmemobj.h>
#include <stdint.h>

struct root {
	uint64_t a;
	char pad[120];
	uint64_t b; /* 128 bytes on: another line */
};

static __attribute__((noinline)) void
set_a(struct root *r)
{
	pmemobj_tx_add_range_direct(&r->a, sizeof(r->a));
	r->a = 1; /* STORE_A */
}

static __attribute__((noinline)) void
set_a_again(struct root *r)
{
	*(volatile uint64_t *)&r->a = 3; /* STORE_A_AGAIN */
}

static __attribute__((noinline)) void
set_b(struct root *r)
{
	uint64_t no_flush = POBJ_XADD_NO_FLUSH;
	pmemobj_tx_xadd_range_direct(&r->b, sizeof(r->b), no_flush); /* ADD_B */
	r->b = 2; /* STORE_B */
}

int
main(int argc, char *argv[])
{
	if (argc != 2 && argc != 3)
		errx(2, "usage: %s POOL [filled]", argv[0]);
	PMEMobjpool *pop = pmemobj_create(argv[1], "pmemu-tx-line-sites",
			PMEMOBJ_MIN_POOL, 0666);
	if (pop == NULL)
		errx(1, "%s: %s", argv[1], pmemobj_errormsg());
	struct root *r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	TX_BEGIN(pop) {
		set_a(r);
		if (argc == 3)
			set_a_again(r);
		set_b(r);
	} TX_END
	pmemobj_close(pop);
	return 0;
}
