/* atomics.c -- __atomic and __sync builtins and C11 atomics: RMWs and
   seq_cst stores are locked fences, their store part a store */
#include <stdatomic.h>
#include "prog.h"

NOIPA void st_relaxed(int *p) { __atomic_store_n(p, 1, __ATOMIC_RELAXED); } /* pmemu: store 0 4 */
NOIPA void st_release(long *p) { __atomic_store_n(p, 2, __ATOMIC_RELEASE); } /* pmemu: store 8 8 */
NOIPA void st_seq(int *p) { __atomic_store_n(p, 3, __ATOMIC_SEQ_CST); } /* pmemu: store 16 4, locked */
NOIPA int fetch_add(int *p) { return __atomic_fetch_add(p, 1, __ATOMIC_RELAXED); } /* pmemu: store 20 4, locked */
NOIPA void add_unused(long *p) { __atomic_add_fetch(p, 5, __ATOMIC_SEQ_CST); } /* pmemu: store 24 8, locked */
NOIPA short xchg(short *p) { return __atomic_exchange_n(p, 7, __ATOMIC_ACQ_REL); } /* pmemu: store 32 2, locked */
NOIPA int cas(int *p, int e) { return __atomic_compare_exchange_n(p, &e, 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); } /* pmemu: store 36 4, locked */
NOIPA int cas_fail(int *p, int e) { return __atomic_compare_exchange_n(p, &e, 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); } /* pmemu: locked */
NOIPA int sync_add(int *p) { return __sync_fetch_and_add(p, 2); } /* pmemu: store 44 4, locked */
NOIPA int sync_cas(int *p) { return __sync_val_compare_and_swap(p, 0, 4); } /* pmemu: store 48 4, locked */
NOIPA int sync_bool(int *p) { return __sync_bool_compare_and_swap(p, 1, 4); } /* pmemu: locked */
NOIPA void sync_release(char *p) { __sync_lock_release(p); } /* pmemu: store 56 1 */
NOIPA int test_set(char *p) { return __atomic_test_and_set(p, __ATOMIC_SEQ_CST); } /* pmemu: store 57 1, locked */
NOIPA void full_barrier(void) { __sync_synchronize(); } /* pmemu: mfence */
NOIPA void thread_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); } /* pmemu: mfence */
NOIPA void acquire_fence(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
NOIPA void c11_store(_Atomic long *p) { atomic_store(p, 11); } /* pmemu: store 64 8, locked */
NOIPA void c11_or(_Atomic int *p) { atomic_fetch_or(p, 4); } /* pmemu: store 72 4, locked */
NOIPA int bit_set(unsigned *p) { return (__atomic_fetch_or(p, 1u << 3, __ATOMIC_SEQ_CST) & (1u << 3)) != 0; } /* pmemu: store 76 4, locked */
NOIPA void rmw_dram(int *p) { __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST); } /* pmemu: locked */

int
main(void)
{
	char *pm = prog_pmem();
	static int dram;
	st_relaxed((int *)pm);
	st_release((long *)(pm + 8));
	st_seq((int *)(pm + 16));
	fetch_add((int *)(pm + 20));
	add_unused((long *)(pm + 24));
	xchg((short *)(pm + 32));
	int ok = cas((int *)(pm + 36), 0);
	int bad = cas_fail((int *)(pm + 40), 5);
	sync_add((int *)(pm + 44));
	sync_cas((int *)(pm + 48));
	sync_bool((int *)(pm + 52));
	sync_release(pm + 56);
	test_set(pm + 57);
	full_barrier();
	thread_fence();
	acquire_fence();
	c11_store((_Atomic long *)(pm + 64));
	c11_or((_Atomic int *)(pm + 72));
	bit_set((unsigned *)(pm + 76));
	rmw_dram(&dram);
	printf("atomics %d %d %lu\n", ok, bad, prog_sum(pm, 128));
	return 0;
}
