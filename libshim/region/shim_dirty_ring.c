/*
 * shim_dirty_ring.c -- the pages the fault handlers open, queued for the
 * next settle (shim_dirty.c): a ring the handlers push to with a CAS on
 * the tail, lock-free, so a thread interrupted anywhere, even holding
 * shim_lock, never blocks it; the settle, under the lock, is its only
 * consumer. A full ring sets `overflow`, and the next settle scans every
 * mapping instead.
 */
#include <stdbool.h>
#include <stdint.h>

#include "shim_dirty.h"
#include "shim_dirty_impl.h"

#define RING_LEN (1u << 18)
#define SLOT_CONSUMED ((uintptr_t)1)

static uintptr_t ring[RING_LEN];
static uint64_t ring_head;   /* consumer, under shim_lock */
static uint64_t ring_tail;   /* producers: fault handlers */
static int ring_overflow;
int shim_dirty_handlers_open; /* taken a page, not queued it yet */

void
shim_dirty_ring_push(uintptr_t page)
{
	uint64_t t = __atomic_load_n(&ring_tail, __ATOMIC_RELAXED);
	do {
		if (t - __atomic_load_n(&ring_head, __ATOMIC_ACQUIRE) >=
				RING_LEN) {
			__atomic_store_n(&ring_overflow, 1, __ATOMIC_RELEASE);
			return;
		}
	} while (!__atomic_compare_exchange_n(&ring_tail, &t, t + 1, false,
			__ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	__atomic_store_n(&ring[t % RING_LEN], page, __ATOMIC_RELEASE);
}

bool
shim_dirty_ring_overflowed(void)
{
	/* read first: the exchange is a locked write at every settle (59 %
	 * of shim_dirty_settle_all's samples in bench_obj); a producer that
	 * sets the flag after the read is seen by the next settle, as one
	 * that sets it after the exchange */
	return __atomic_load_n(&ring_overflow, __ATOMIC_ACQUIRE) &&
		__atomic_exchange_n(&ring_overflow, 0, __ATOMIC_ACQ_REL);
}

void
shim_dirty_ring_drain(void (*settle)(uintptr_t page))
{
	uint64_t t = __atomic_load_n(&ring_tail, __ATOMIC_ACQUIRE);
	bool stuck = false; /* a handler took a slot and has not filled it */
	for (uint64_t i = ring_head; i < t; i++) {
		uintptr_t *slot = &ring[i % RING_LEN];
		uintptr_t v = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
		if (v == 0) {
			stuck = true;
			continue;
		}
		if (v != SLOT_CONSUMED)
			settle(v);
		if (stuck) {
			__atomic_store_n(slot, SLOT_CONSUMED, __ATOMIC_RELAXED);
		} else {
			__atomic_store_n(slot, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&ring_head, i + 1, __ATOMIC_RELEASE);
		}
	}
}

bool
shim_dirty_none_open(void)
{
	return __atomic_load_n(&shim_dirty_handlers_open, __ATOMIC_ACQUIRE) ==
		0 && !__atomic_load_n(&ring_overflow, __ATOMIC_ACQUIRE) &&
		__atomic_load_n(&ring_tail, __ATOMIC_ACQUIRE) == ring_head;
}
