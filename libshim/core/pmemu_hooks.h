/*
 * pmemu_hooks.h -- the ABI between code built with the GCC plugin and
 * libpmemu.so
 *
 * The plugin inserts, at every site, an inlined range check against a
 * per-module slot and calls a hook only when the address may be pmem:
 *
 *     if ((uintptr_t)addr - slot.lo < slot.len)   // one compare
 *             __pmemu_store(addr, size, &loc);     // after the store
 *
 * Each instrumented module defines its own hidden slot (COMDAT/weak hidden
 * "__pmemu_slot", initialised {0, 0} so the check is always false) and a
 * constructor that calls __pmemu_register_slot(&slot) if that symbol is
 * found (dlsym(RTLD_DEFAULT, ...)); libpmemu.so then keeps every
 * registered slot equal to the hull of all emulated regions. Without
 * libpmemu the program runs normally and pays only the compare.
 *
 * Fence hooks are called right after the real fence, unconditionally (a
 * fence matters for every thread). A flush intrinsic's hook is called
 * instead of the instruction when the range check holds (as the runtime's
 * trampolines do for prebuilt code: the line stays in the cache for the
 * hook to read, and the model says what is durable); otherwise, natively
 * too, the instruction runs. A flush in inline asm runs, then its hook.
 */
#ifndef PMEMU_HOOKS_H
#define PMEMU_HOOKS_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMEMU_HOOKS_ABI 3 /* 2: __pmemu_store_run; 3: the slot's delta */

/* A source location; the plugin emits one static, read-only, per site. */
struct pmemu_srcloc {
	const char *file;
	const char *func;
	uint32_t line;
	uint32_t column;
};

/* The range every instrumented module checks before calling a hook. */
struct pmemu_slot {
	volatile uintptr_t lo;
	volatile uintptr_t len;
};

/*
 * The slot of a module built for ABI 3, registered with
 * __pmemu_register_slot_alias (an older runtime lacks it: the module
 * registers the first two words with __pmemu_register_slot, and delta
 * stays 0). A plain store whose bytes all lie in [lo, lo + len) is made
 * at its address + delta (0: the address itself), which the runtime sets
 * to the distance from the views to their writable alias while that is
 * one number for the whole range (hooks.c, "Stores through the alias");
 * its hook is called as before.
 *
 *     d = addr - lo < len - (size - 1) ? slot.delta : 0;
 *     *(T *)((char *)addr + d) = value;
 *     if (addr - lo < len) __pmemu_store(addr, size, &loc);
 *
 * (a run of stores sharing a check: one d for all their bytes). The
 * runtime sets a delta other than 0 only while len >= PMEMU_ALIAS_MIN,
 * so len - (size - 1) never wraps where it matters: a store is at most
 * PMEMU_ALIAS_MIN bytes long, a run's bytes lie within that too.
 */
#define PMEMU_ALIAS_MIN 4096
struct pmemu_slot_alias {
	volatile uintptr_t lo;
	volatile uintptr_t len;
	volatile uintptr_t delta;
};

enum pmemu_hook_flush {
	PMEMU_HOOK_CLWB = 0,
	PMEMU_HOOK_CLFLUSHOPT = 1,
	PMEMU_HOOK_CLFLUSH = 2,
};

enum pmemu_hook_fence {
	PMEMU_HOOK_SFENCE = 0,
	PMEMU_HOOK_MFENCE = 1,
	PMEMU_HOOK_LOCKED = 2, /* a locked RMW, xchg, seq_cst atomic store */
};

/* registers a module's slot; returns PMEMU_HOOKS_ABI */
int __pmemu_register_slot(struct pmemu_slot *slot);
/* registers a module's slot with its delta; returns PMEMU_HOOKS_ABI */
int __pmemu_register_slot_alias(struct pmemu_slot_alias *slot);

/* a store of len bytes at addr has just happened (any len; memcpy too) */
void __pmemu_store(void *addr, size_t len, const struct pmemu_srcloc *loc);
/* count stores of size bytes each, at addr, addr + size, ... in that
 * order, have just happened (one source location: a run the plugin found
 * in one block, such as an unrolled loop's stores to one line); the
 * runtime takes them as count calls of __pmemu_store */
void __pmemu_store_run(void *addr, size_t size, size_t count,
		const struct pmemu_srcloc *loc);
/* a non-temporal store of len bytes at addr has just happened */
void __pmemu_store_nt(void *addr, size_t len, const struct pmemu_srcloc *loc);
/* a movdir64b of 64 bytes to dst has just happened (atomic 64-byte NT) */
void __pmemu_movdir64b(void *dst, const struct pmemu_srcloc *loc);
/* a cache-line flush of the line holding addr (in place of it, or just
 * after it) */
void __pmemu_flush(const void *addr, int kind, const struct pmemu_srcloc *loc);
/* a fence (or a locked RMW acting as one) has just happened */
void __pmemu_fence(int kind, const struct pmemu_srcloc *loc);

#ifdef __cplusplus
}
#endif
#endif /* PMEMU_HOOKS_H */
