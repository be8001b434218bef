/*
 * pmemu.h -- what a program may tell pmemu, the persistent-memory emulator
 *
 * Every call is a cheap no-op when the program does not run under pmemu:
 * the entry points are looked up once with dlsym() and a program needs
 * neither libpmemu at link time nor at run time. Include it and call:
 *
 *   pmemu_crash_point("after-commit");      a named crash point; the check
 *                                           sees it in PMEMU_MARKERS
 *   pmemu_register_pmem(buf, len, "heap");  treat a non-file range as pmem
 *   pmemu_unregister_pmem(buf, len);        (whole pages: the range is
 *                                           rounded in; docs/shim.md)
 *   pmemu_flush(addr, len);                 a hand-written clwb loop that
 *   pmemu_fence();                          pmemu cannot see, announced
 *   pmemu_running();                        1 under pmemu, 0 otherwise
 */
#ifndef PMEMU_H
#define PMEMU_H 1

#include <stddef.h>
#include <dlfcn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The table libpmemu.so exports as "pmemu_rt_api"; version-checked. */
#define PMEMU_API_VERSION 1
struct pmemu_rt_api {
	unsigned version;
	void (*crash_point)(const char *name);
	int (*register_pmem)(void *addr, size_t len, const char *name);
	int (*unregister_pmem)(void *addr, size_t len);
	void (*flush)(const void *addr, size_t len);
	void (*fence)(void);
};

/* pmemu_api_ -- the runtime's table, or NULL when not under pmemu */
static inline const struct pmemu_rt_api *
pmemu_api_(void)
{
	static const struct pmemu_rt_api *api = (const struct pmemu_rt_api *)1;
	if (api == (const struct pmemu_rt_api *)1) {
		const struct pmemu_rt_api *a = (const struct pmemu_rt_api *)
			dlsym((void *)0 /* RTLD_DEFAULT */, "pmemu_rt_api");
		api = (a != NULL && a->version == PMEMU_API_VERSION) ? a : NULL;
	}
	return api;
}

static inline int
pmemu_running(void)
{
	return pmemu_api_() != NULL;
}

static inline void
pmemu_crash_point(const char *name)
{
	const struct pmemu_rt_api *a = pmemu_api_();
	if (a)
		a->crash_point(name);
}

static inline int
pmemu_register_pmem(void *addr, size_t len, const char *name)
{
	const struct pmemu_rt_api *a = pmemu_api_();
	return a ? a->register_pmem(addr, len, name) : 0;
}

static inline int
pmemu_unregister_pmem(void *addr, size_t len)
{
	const struct pmemu_rt_api *a = pmemu_api_();
	return a ? a->unregister_pmem(addr, len) : 0;
}

static inline void
pmemu_flush(const void *addr, size_t len)
{
	const struct pmemu_rt_api *a = pmemu_api_();
	if (a)
		a->flush(addr, len);
}

static inline void
pmemu_fence(void)
{
	const struct pmemu_rt_api *a = pmemu_api_();
	if (a)
		a->fence();
}

/*
 * pmemu_poison(addr, len) -- the lines of emulated pmem in the range become
 * bad blocks: a load raises SIGBUS (BUS_MCEERR_AR) until a store of the
 * whole line clears it (docs/shim.md, "Bad blocks"). 0, or -1 with errno
 * EINVAL (not emulated pmem of a file under the pmem dir) or ENOSPC; 0
 * without pmemu (nothing to do). Its own symbol, not in pmemu_rt_api, so
 * programs built with an older pmemu.h keep their table version.
 */
static inline int
pmemu_poison(const void *addr, size_t len)
{
	static int (*fn)(const void *, size_t) =
		(int (*)(const void *, size_t))1;
	if (fn == (int (*)(const void *, size_t))1)
		fn = (int (*)(const void *, size_t))dlsym((void *)0,
			"pmemu_rt_poison");
	return fn ? fn(addr, len) : 0;
}

#ifdef __cplusplus
}
#endif
#endif /* PMEMU_H */
