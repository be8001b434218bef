/* rmw.c -- an atomic read-modify-write is the only fence after a clwb;
 * the buggy twin makes a relaxed atomic store instead, which fences
 * nothing. RMW_SYNC: __sync_fetch_and_add; RMW_XCHG: __atomic_exchange_n;
 * RMW_SEQ_CST: a seq_cst store; default: a relaxed __atomic_fetch_add. */
#include "e2e.h"

#if defined(RMW_SYNC)
#define RMW(v) __sync_fetch_and_add(&(v), 1)
#elif defined(RMW_XCHG)
#define RMW(v) __atomic_exchange_n(&(v), 1, __ATOMIC_ACQ_REL)
#elif defined(RMW_SEQ_CST)
#define RMW(v) __atomic_store_n(&(v), 1, __ATOMIC_SEQ_CST)
#else
#define RMW(v) __atomic_fetch_add(&(v), 1, __ATOMIC_RELAXED)
#endif

struct rec {
	long a;
	char pad[56];
	long b;
};

static long counter; /* in DRAM: only the RMW's fence matters */

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	r->b = argc;
	__builtin_ia32_clwb(&r->b); /* PLANTED */
#ifdef BUGGY
	__atomic_store_n(&counter, 1, __ATOMIC_RELAXED);
#else
	RMW(counter);
#endif
	return 0;
}
