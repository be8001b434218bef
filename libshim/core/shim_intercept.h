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
 *     #define INIT_MSYNC SHIM_RESOLVE(msync)
 *
 * A per-thread depth sends calls made while the shim is already running on
 * this thread (the shim's own calls, a libpmem function calling msync) to
 * REAL, so events are counted once. REAL is resolved with dlsym(RTLD_NEXT)
 * in the constructor (shim_init_*), or on first use when a library calls
 * in before the constructor ran; a missing symbol stops the run
 * (SHIM_RESOLVE) unless it is optional (SHIM_RESOLVE_OPTIONAL: libpmem
 * functions of a program that does not link libpmem).
 */
#ifndef PMEMU_SHIM_INTERCEPT_H
#define PMEMU_SHIM_INTERCEPT_H 1

#include <errno.h>
#include <stdbool.h>

/* calls into the shim nested on this thread; >0: go straight to REAL */
extern __thread int shim_depth __attribute__((tls_model("initial-exec")));
/* set once the constructor parsed the options; cleared at teardown */
extern volatile bool shim_active;

/* the next definition of name after libpmemu (RTLD_NEXT), then any other
 * that is not ours (RTLD_DEFAULT); NULL when there is none */
void *shim_resolve_symbol(const char *name, void *self);
/* as shim_resolve_symbol; a missing symbol stops the run */
void *shim_resolve_required(const char *name, void *self);

#define SHIM_INTERCEPTOR(ret, name, ...) \
	typedef ret (*shim_real_##name##_fn)(__VA_ARGS__); \
	static shim_real_##name##_fn shim_real_##name; \
	__attribute__((visibility("default"))) ret name(__VA_ARGS__)

#define REAL(name) shim_real_##name

#define SHIM_RESOLVE(name) \
	(shim_real_##name = (shim_real_##name##_fn)shim_resolve_required( \
			#name, (void *)name))
#define SHIM_RESOLVE_OPTIONAL(name) \
	(shim_real_##name = (shim_real_##name##_fn)shim_resolve_symbol( \
			#name, (void *)name))

#define SHIM_ENSURE_REAL_(name) \
	do { \
		if (__builtin_expect(shim_real_##name == NULL, 0)) \
			SHIM_RESOLVE(name); \
	} while (0)

/* nested, before init or after teardown: the call is only the real one */
#define SHIM_ENTER(name, ...) \
	SHIM_ENSURE_REAL_(name); \
	if (shim_depth != 0 || !shim_active) \
		return REAL(name)(__VA_ARGS__); \
	int shim_errno_ = errno; \
	shim_depth++

/* as SHIM_ENTER for a function returning void */
#define SHIM_ENTER_VOID(name, ...) \
	SHIM_ENSURE_REAL_(name); \
	if (shim_depth != 0 || !shim_active) { \
		REAL(name)(__VA_ARGS__); \
		return; \
	} \
	int shim_errno_ = errno; \
	shim_depth++

#define SHIM_SAVE_ERRNO() (shim_errno_ = errno)

#define SHIM_LEAVE() \
	do { \
		shim_depth--; \
		errno = shim_errno_; \
	} while (0)

#endif
