/*
 * intercept_libpmem2_usc.c -- pmem2_source_device_usc and
 * pmem2_source_device_id of a source on an emulated file: the emulated
 * DIMM's unsafe shutdown count and unique id (docs/model.md, "Unsafe
 * shutdown count"); any other source gets the real libpmem2's answer
 *
 * libpmem2 would find them through libndctl, which intercept_ndctl.c
 * answers too; answering here names the file exactly (libndctl matches a
 * filesystem, not a file) and works without libndctl.
 */
#include <string.h>

#include <libpmem2.h>

#include "pmem_real.h"
#include "shim_dimm.h"
#include "shim_fatal.h"
#include "shim_region.h"

/* source_emulated -- src is a descriptor of a file under the pmem dir */
static bool
source_emulated(const struct pmem2_source *src)
{
	int fd;
	__typeof__(&pmem2_source_get_fd) get_fd =
		REAL_V(pmem2_source_get_fd);
	return get_fd != NULL && get_fd(src, &fd) == 0 &&
		shim_fd_region(fd) != NULL;
}

int
pmem2_source_device_usc(const struct pmem2_source *src, uint64_t *usc)
{
	if (!source_emulated(src)) {
		__typeof__(&pmem2_source_device_usc) real =
			REAL_V(pmem2_source_device_usc);
		if (real == NULL)
			shim_fatal("pmem2_source_device_usc: libpmem2 is not "
					"loaded");
		return real(src, usc);
	}
	struct trace_dimm d;
	shim_dimm_read(&d);
	*usc = d.shutdown_count;
	return 0;
}

/* as libpmem2: id NULL asks the length (with the NUL) in *len */
int
pmem2_source_device_id(const struct pmem2_source *src, char *id,
		size_t *len)
{
	if (!source_emulated(src)) {
		__typeof__(&pmem2_source_device_id) real =
			REAL_V(pmem2_source_device_id);
		if (real == NULL)
			shim_fatal("pmem2_source_device_id: libpmem2 is not "
					"loaded");
		return real(src, id, len);
	}
	struct trace_dimm d;
	shim_dimm_read(&d);
	size_t need = strlen(d.unique_id) + 1;
	if (id == NULL) {
		*len = need;
		return 0;
	}
	if (*len < need)
		return PMEM2_E_BUFFER_TOO_SMALL;
	memcpy(id, d.unique_id, need);
	return 0;
}
