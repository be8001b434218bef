/* asm.c -- inline assembly as pmem code writes it: a flush (ASM_CLWB by
 * default, ASM_CLFLUSHOPT, or ASM_XSAVEOPT: PMDK's old clwb encoding)
 * then a fence (ASM_SFENCE by default, ASM_LOCK: lock addl to a DRAM
 * word, ASM_XCHG: xchg with a DRAM word); the buggy twin has no fence */
#include "e2e.h"

#if defined(ASM_CLFLUSHOPT)
#define FLUSH(p) __asm__ volatile("clflushopt %0" : "+m"(*(char *)(p)))
#elif defined(ASM_XSAVEOPT)
#define FLUSH(p) \
	__asm__ volatile(".byte 0x66; xsaveopt %0" : "+m"(*(char *)(p)))
#else
#define FLUSH(p) __asm__ volatile("clwb (%0)" : : "r"(p) : "memory")
#endif

static int word; /* in DRAM: only the fence matters */

#if defined(ASM_LOCK)
#define FENCE() \
	__asm__ volatile("lock addl $0, %0" : "+m"(word) : : "memory")
#elif defined(ASM_XCHG)
#define FENCE() \
	__asm__ volatile("xchg %0, %1" : "+r"(argc), "+m"(word) : : "memory")
#else
#define FENCE() __asm__ volatile("sfence" : : : "memory")
#endif

struct rec {
	long a;
	char pad[56];
	long b;
};

int
main(int argc, char **argv)
{
	struct rec *r = (struct rec *)e2e_pool(argc, argv);
	r->a = 1;
	r->b = argc;
	e2e_persist(&r->a, sizeof(r->a));
	FLUSH(&r->b); /* PLANTED */
#ifndef BUGGY
	FENCE();
#endif
	return 0;
}
