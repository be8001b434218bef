/*
 * real.c -- every real-function pointer (real.h) and their resolution
 */
#include <dlfcn.h>
#include <stddef.h>

#include "real.h"
#include "shim_fatal.h"

#define SHIM_REAL_DEFINE_(ret, name, params) \
	shim_real_##name##_fn shim_real_##name;
SHIM_REAL_FUNCTIONS(SHIM_REAL_DEFINE_)

volatile bool shim_real_ready;

/* is_ours -- p lies in libpmemu.so itself (one of our interposers) */
static bool
is_ours(void *p)
{
	Dl_info mine, theirs;
	if (dladdr((void *)shim_real_init, &mine) == 0 ||
			dladdr(p, &theirs) == 0)
		return false;
	return mine.dli_fbase == theirs.dli_fbase;
}

void *
shim_real_lookup(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p == NULL || is_ours(p)) {
		/* RTLD_DEFAULT finds libraries loaded before us; never us */
		p = dlsym(RTLD_DEFAULT, name);
		if (p != NULL && is_ours(p))
			p = NULL;
	}
	return p;
}

static void *
lookup_required(const char *name)
{
	void *p = shim_real_lookup(name);
	if (p == NULL)
		shim_fatal("failed to intercept %s: no definition "
			"after libpmemu.so", name);
	return p;
}

#define SHIM_REAL_RESOLVE_(ret, name, params) \
	shim_real_##name = (shim_real_##name##_fn)lookup_required(#name);

void
shim_real_init(void)
{
	if (shim_real_ready)
		return;
	SHIM_REAL_FUNCTIONS(SHIM_REAL_RESOLVE_)
	shim_real_ready = true;
}
