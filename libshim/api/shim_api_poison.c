/*
 * shim_api_poison.c -- pmemu_poison(addr, len) (include/pmemu.h): the
 * lines of emulated pmem that [addr, addr+len) touches become bad blocks,
 * kept beside the pmem dir as --badblock's are (shim_poison.h)
 */
#include <errno.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_intercept.h"
#include "shim_poison.h"
#include "shim_region.h"

/* poison -- 0, or -1 with errno: EINVAL (not one mapping of a file under
 * the pmem dir), ENOSPC (too many poisoned lines) */
static int
poison(const void *addr, size_t len)
{
	const struct shim_mapping *m = shim_mapping_lookup(addr);
	uintptr_t a = (uintptr_t)addr;
	char name[SHIM_POISON_NAME_MAX];
	if (len == 0 || m == NULL || a + len > m->base + m->len ||
			!shim_poison_name(m->region, name, sizeof(name))) {
		errno = EINVAL;
		return -1;
	}
	int ret = shim_poison_add(name, m->file_off + (a - m->base), len,
		true);
	if (ret != 0) {
		errno = -ret;
		return -1;
	}
	shim_poison_save();
	return 0;
}

__attribute__((visibility("default"))) int
pmemu_rt_poison(const void *addr, size_t len)
{
	SHIM_ENTER_OR_RETURN(-1);
	shim_lock();
	int ret = poison(addr, len);
	if (ret != 0)
		SHIM_SAVE_ERRNO();
	shim_unlock();
	SHIM_LEAVE();
	return ret;
}
