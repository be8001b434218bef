/*
 * shim_read_buffer.c -- a read() whose buffer is emulated pmem: the
 * kernel's copy into a read-only view page does not fault to the shim,
 * it fails the call with EFAULT, so the pages are opened first
 * (shim_dirty_open_for_kernel) and the copy is found by diffing, like
 * the stores of uninstrumented code
 */
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_read_buffer.h"
#include "shim_region.h"
#include "shim_site.h"

struct read_ctx {
	uintptr_t lo, hi;
	uint32_t site;
};

static void
open_one(struct shim_mapping *m, void *ctx)
{
	const struct read_ctx *c = ctx;
	if (c->lo < m->base + m->len && m->base < c->hi)
		shim_dirty_open_for_kernel(m, c->lo, c->hi, c->site);
}

void
shim_read_buffer(void *buf, size_t len)
{
	uintptr_t lo = (uintptr_t)buf;
	if (len == 0 || (shim_mapping_lookup(buf) == NULL &&
			shim_mapping_lookup((char *)buf + len - 1) == NULL))
		return; /* a buffer that only straddles a mapping: not seen */
	struct read_ctx c = { lo, lo + len, shim_site_here() };
	shim_lock();
	shim_mapping_for_each(open_one, &c);
	shim_unlock();
}

void
shim_read_buffers(const struct iovec *iov, int cnt)
{
	for (int i = 0; i < cnt; i++)
		shim_read_buffer(iov[i].iov_base, iov[i].iov_len);
}
