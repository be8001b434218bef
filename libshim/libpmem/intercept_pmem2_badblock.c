/*
 * intercept_pmem2_badblock.c -- libpmem2's bad block API on emulated
 * files: the poisoned lines (region/shim_poison.h) as the kernel lists
 * them, in 512-byte sectors, with offsets and lengths in bytes of the
 * file as libpmem2 reports them for an fsdax file; a source that is not
 * an emulated file gets the real libpmem2
 *
 * pmem2_badblock_clear does what libpmem2 does on fsdax (the pmem driver
 * clears bad blocks that are written): the range is written with zeros,
 * a traced store, so the model and the media see the new content.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmem2.h>

#include "pmem_real.h"
#include "real.h"
#include "shim_core.h"
#include "shim_fatal.h"
#include "shim_intercept.h"
#include "shim_poison.h"
#include "shim_region.h"
#include "shim_sync.h"

#define SECTOR 512u
#define CONTEXTS_MAX 64

/* an emulated file's context: the bad blocks when it was made */
struct emu_bbctx {
	int fd;
	size_t n, next;
	struct pmem2_badblock *bb;
};

/* the contexts made here; any other pointer is the real libpmem2's */
static struct emu_bbctx *contexts[CONTEXTS_MAX];

static struct emu_bbctx *
emulated(const struct pmem2_badblock_context *ctx)
{
	for (size_t i = 0; i < CONTEXTS_MAX; i++) {
		struct emu_bbctx *c = __atomic_load_n(&contexts[i],
			__ATOMIC_ACQUIRE);
		if (c != NULL && (const void *)c == (const void *)ctx)
			return c;
	}
	return NULL;
}

/* add_run -- a run of poisoned lines, rounded out to sectors and merged
 * with the previous block when they touch */
static void
add_run(uint64_t off, uint64_t len, void *arg)
{
	struct emu_bbctx *c = arg;
	uint64_t lo = off - off % SECTOR;
	uint64_t hi = (off + len + SECTOR - 1) / SECTOR * SECTOR;
	if (c->n > 0 && c->bb[c->n - 1].offset + c->bb[c->n - 1].length >= lo) {
		c->bb[c->n - 1].length = hi - c->bb[c->n - 1].offset;
		return;
	}
	struct pmem2_badblock *bb = realloc(c->bb, (c->n + 1) * sizeof(*bb));
	if (bb == NULL)
		shim_fatal("out of memory listing bad blocks");
	c->bb = bb;
	bb[c->n].offset = lo;
	bb[c->n].length = hi - lo;
	c->n++;
}

/* context_new -- the context of region r's descriptor fd (lock held) */
static int
context_new(struct pmem2_badblock_context **out, int fd,
		const struct shim_region *r)
{
	struct emu_bbctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->fd = fd;
	shim_poison_for_each_run(r, add_run, c);
	for (size_t i = 0; i < CONTEXTS_MAX; i++) {
		struct emu_bbctx *none = NULL;
		if (__atomic_compare_exchange_n(&contexts[i], &none, c, false,
				__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			*out = (struct pmem2_badblock_context *)(void *)c;
			return 0;
		}
	}
	free(c->bb);
	free(c);
	return -EMFILE;
}

int
pmem2_badblock_context_new(struct pmem2_badblock_context **bbctx,
		const struct pmem2_source *src)
{
	int fd;
	__typeof__(&pmem2_source_get_fd) get_fd = REAL_V(pmem2_source_get_fd);
	struct shim_region *r = get_fd != NULL && get_fd(src, &fd) == 0 ?
		shim_fd_region(fd) : NULL;
	int saved;
	if (r == NULL || !shim_enter(&saved)) {
		__typeof__(&pmem2_badblock_context_new) real =
			REAL_V(pmem2_badblock_context_new);
		if (real == NULL)
			shim_fatal("pmem2_badblock_context_new: libpmem2 is "
				"not loaded");
		return real(bbctx, src);
	}
	shim_lock();
	int ret = context_new(bbctx, fd, r);
	shim_unlock();
	shim_leave(ret < 0 ? -ret : saved); /* libpmem2 sets errno too */
	return ret;
}

int
pmem2_badblock_next(struct pmem2_badblock_context *bbctx,
		struct pmem2_badblock *bb)
{
	struct emu_bbctx *c = emulated(bbctx);
	if (c == NULL)
		return REAL_V(pmem2_badblock_next)(bbctx, bb);
	if (c->next == c->n) {
		bb->offset = bb->length = 0;
		return PMEM2_E_NO_BAD_BLOCK_FOUND;
	}
	*bb = c->bb[c->next++];
	return 0;
}

/* zero -- writes zeros over [off, off+len) of fd: a traced write, which
 * clears the poisoned lines it covers (shim_file_written) */
static int
zero(int fd, uint64_t off, uint64_t len)
{
	static const char zeros[4096];
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < sizeof(zeros) ? (size_t)(len - done) :
			sizeof(zeros);
		ssize_t k = REAL(pwrite)(fd, zeros, n, (off_t)(off + done));
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		shim_file_written(fd, off + done, zeros, (size_t)k);
		done += (uint64_t)k;
	}
	return 0;
}

int
pmem2_badblock_clear(struct pmem2_badblock_context *bbctx,
		const struct pmem2_badblock *bb)
{
	struct emu_bbctx *c = emulated(bbctx);
	if (c == NULL)
		return REAL_V(pmem2_badblock_clear)(bbctx, bb);
	int saved;
	if (!shim_enter(&saved))
		return 0;
	int ret = zero(c->fd, bb->offset, bb->length);
	shim_leave(ret < 0 ? -ret : saved);
	return ret;
}

void
pmem2_badblock_context_delete(struct pmem2_badblock_context **bbctx)
{
	struct emu_bbctx *c = emulated(*bbctx);
	if (c == NULL) {
		REAL_V(pmem2_badblock_context_delete)(bbctx);
		return;
	}
	for (size_t i = 0; i < CONTEXTS_MAX; i++)
		if (__atomic_load_n(&contexts[i], __ATOMIC_ACQUIRE) == c)
			__atomic_store_n(&contexts[i], NULL, __ATOMIC_RELEASE);
	free(c->bb);
	free(c);
	*bbctx = NULL;
}
