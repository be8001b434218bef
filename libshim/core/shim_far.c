/*
 * shim_far.c -- the views' area and the far area (shim_far.h)
 *
 * Both are placed from the stack of the first caller (the kernel's
 * mappings grow down from just under the stack, at most 1 TiB under it
 * with address space randomisation): the views' area ends VIEWS_BELOW
 * under it and the views grow down from there; their aliases are 1 TiB
 * below them (region/shim_dirty_tables.c); the far area starts FAR_BELOW
 * under the stack and grows down: each mapping takes the next addresses,
 * reserved by one atomic subtraction, so threads never ask for the same.
 * Far addresses are never reused (there are tens of TiB to go), and a
 * mapping that does not fit (another is there, the area ran out) goes
 * where the kernel chooses, as before.
 */
#include <stdbool.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_far.h"

#define TIB ((uintptr_t)1 << 40)
#define VIEWS_BELOW (2 * TIB)
#define FAR_BELOW (4 * TIB)
#define FLOOR TIB                      /* leave the low addresses alone */
#define AREA_ALIGN ((uintptr_t)1 << 30) /* where an area ends */
#define PAGE ((uintptr_t)4096)

static uintptr_t anchor;   /* the first caller's stack; 0: not yet */
static uintptr_t far_next; /* the far area's lowest address so far */

/* below -- the address `by` under the anchor, aligned; 0 when there is
 * no room */
static uintptr_t
below(uintptr_t by)
{
	if (__atomic_load_n(&anchor, __ATOMIC_ACQUIRE) == 0) {
		uintptr_t top = (uintptr_t)__builtin_frame_address(0);
		uintptr_t none = 0;
		if (__atomic_compare_exchange_n(&far_next, &none,
				top > FAR_BELOW + FLOOR ?
				(top - FAR_BELOW) & ~(AREA_ALIGN - 1) : FLOOR,
				false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			__atomic_store_n(&anchor, top, __ATOMIC_RELEASE);
	}
	uintptr_t a = __atomic_load_n(&anchor, __ATOMIC_ACQUIRE);
	return a > by + FLOOR ? (a - by) & ~(AREA_ALIGN - 1) : 0;
}

uintptr_t
shim_far_views_end(void)
{
	return below(VIEWS_BELOW);
}

/* far_reserve -- the start of len fresh bytes of the far area, or 0 */
static uintptr_t
far_reserve(size_t len)
{
	uintptr_t n = ((uintptr_t)len + PAGE - 1) & ~(PAGE - 1);
	if (below(FAR_BELOW) == 0)
		return 0;
	uintptr_t end = __atomic_fetch_sub(&far_next, n, __ATOMIC_RELAXED);
	return end >= FLOOR + n ? end - n : 0;
}

void *
shim_mmap_at(uintptr_t want, size_t len, int prot, int flags, int fd,
		off_t off)
{
	if (want == 0)
		return MAP_FAILED;
	void *p = REAL(mmap)((void *)want, len, prot,
		flags | MAP_FIXED_NOREPLACE, fd, off);
	if (p != MAP_FAILED && (uintptr_t)p != want) { /* a kernel older
		than NOREPLACE took it as a hint */
		REAL(munmap)(p, len);
		p = MAP_FAILED;
	}
	return p;
}

void *
shim_far_mmap(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = shim_mmap_at(far_reserve(len), len, prot, flags, fd, off);
	return p != MAP_FAILED ? p :
		REAL(mmap)(NULL, len, prot, flags, fd, off);
}
