/*
 * shim_api.c -- pmemu_rt_api, the table include/pmemu.h finds with dlsym:
 * crash points, registered ranges, announced flushes and fences
 */
#include "pmemu.h"
#include "shim_anon.h"
#include "shim_core.h"
#include "shim_events.h"
#include "shim_intercept.h"
#include "shim_region.h"
#include "shim_site.h"

static void
api_crash_point(const char *name)
{
	SHIM_ENTER_OR_RETURN();
	shim_ev_marker(name ? name : "");
	SHIM_LEAVE();
}

/* a range with no file: emulated pmem from now on (shim_anon.c) */
static int
api_register_pmem(void *addr, size_t len, const char *name)
{
	SHIM_ENTER_OR_RETURN(-1);
	int ret = shim_anon_register(addr, len, name ? name : "");
	if (ret != 0)
		SHIM_SAVE_ERRNO(); /* EINVAL, EEXIST... for the program */
	SHIM_LEAVE();
	return ret;
}

static int
api_unregister_pmem(void *addr, size_t len)
{
	SHIM_ENTER_OR_RETURN(-1);
	int ret = shim_anon_unregister(addr, len);
	if (ret != 0)
		SHIM_SAVE_ERRNO(); /* EINVAL, EEXIST... for the program */
	SHIM_LEAVE();
	return ret;
}

static void
api_flush(const void *addr, size_t len)
{
	SHIM_ENTER_OR_RETURN();
	shim_ev_flush(addr, len, MODEL_EV_CLWB, shim_site_here());
	SHIM_LEAVE();
}

static void
api_fence(void)
{
	SHIM_ENTER_OR_RETURN();
	shim_ev_fence(MODEL_EV_SFENCE, shim_site_here());
	SHIM_LEAVE();
}

__attribute__((visibility("default"))) const struct pmemu_rt_api
pmemu_rt_api = {
	.version = PMEMU_API_VERSION,
	.crash_point = api_crash_point,
	.register_pmem = api_register_pmem,
	.unregister_pmem = api_unregister_pmem,
	.flush = api_flush,
	.fence = api_fence,
};
