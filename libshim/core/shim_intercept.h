/*
 * shim_intercept.h -- the one shape of every interposer (STYLE.md)
 *
 *     SHIM_INTERCEPTOR(int, msync, void *addr, size_t len, int flags)
 *     {
 *             SHIM_ENTER(msync, addr, len, flags);  // nested/inactive: REAL
 *             int ret = REAL(msync)(addr, len, flags);
 *             SHIM_SAVE_ERRNO();                    // errno of the real call
 *             ...emit events...
 *             SHIM_LEAVE();                         // restores that errno
 *             return ret;
 *     }
 *
 * A per-thread depth sends calls made while the shim is already running on
 * this thread (the shim's own calls, a libpmem function calling msync) to
 * REAL, so events are counted once. Every REAL is resolved in the
 * constructor (shim_real_init, real.c), or on first use when a library
 * calls in before the constructor ran.
 */
#ifndef PMEMU_SHIM_INTERCEPT_H
#define PMEMU_SHIM_INTERCEPT_H 1

#include <errno.h>
#include <stdbool.h>

#include "real.h"

/* calls into the shim nested on this thread; >0: go straight to REAL */
extern __thread int shim_depth __attribute__((tls_model("initial-exec")));
/* set once the constructor parsed the options; cleared at teardown */
extern volatile bool shim_active;

/* defines the interposer name; its REAL and type are in real.h's list */
#define SHIM_INTERCEPTOR(ret, name, ...) \
	__attribute__((visibility("default"))) ret name(__VA_ARGS__); \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&name), \
			shim_real_##name##_fn), \
		#name ": not in real.h's list, or with another type"); \
	__attribute__((visibility("default"))) ret name(__VA_ARGS__)

/*
 * The one guard of every entry point (interposers, libpmem functions,
 * plugin hooks, the pmemu_* API): true when this call runs the shim (not
 * nested on this thread, the shim active); errno is saved into *saved and
 * shim_leave restores it, so the shim's own calls never change the
 * program's errno. False: the caller does only the real thing.
 */
static inline bool
shim_enter(int *saved)
{
	if (shim_depth != 0 || !shim_active)
		return false;
	*saved = errno;
	shim_depth++;
	return true;
}

static inline void
shim_leave(int saved)
{
	shim_depth--;
	errno = saved;
}

/* nested, before init or after teardown: the call is only the real one */
#define SHIM_ENTER(name, ...) \
	SHIM_REAL_ENSURE(); \
	int shim_errno_; \
	if (!shim_enter(&shim_errno_)) \
		return REAL(name)(__VA_ARGS__)

/* as SHIM_ENTER for a function returning void */
#define SHIM_ENTER_VOID(name, ...) \
	SHIM_REAL_ENSURE(); \
	int shim_errno_; \
	if (!shim_enter(&shim_errno_)) { \
		REAL(name)(__VA_ARGS__); \
		return; \
	}

/* for an entry point with no REAL (plugin hooks, the pmemu_* API):
 * nested or inactive, it returns __VA_ARGS__ (nothing for void) */
#define SHIM_ENTER_OR_RETURN(...) \
	int shim_errno_; \
	if (!shim_enter(&shim_errno_)) \
		return __VA_ARGS__

/* the errno the call returns with: the real call's, not the shim's */
#define SHIM_SAVE_ERRNO() (shim_errno_ = errno)

#define SHIM_LEAVE() shim_leave(shim_errno_)

#endif
