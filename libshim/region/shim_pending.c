/* shim_pending.c -- write-backs in flight, per thread, until a fence */
#include <string.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_core.h"
#include "shim_pending.h"
#include "shim_view.h"

struct pending {
	uint32_t tid;
	uint32_t region_id;
	struct shim_region *region;
	uint64_t off;
	uint32_t len;
	uint32_t rec_len;         /* header + content, 8-aligned */
	uint8_t content[];
};

static uint8_t *buf;              /* a growing array of struct pending */
static size_t buf_used, buf_cap;

static void
grow(size_t need)
{
	size_t cap = buf_cap ? buf_cap : (1u << 20);
	while (cap < buf_used + need)
		cap *= 2;
	void *p = buf ? REAL(mremap)(buf, buf_cap, cap, MREMAP_MAYMOVE) :
		REAL(mmap)(NULL, cap, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		shim_fatal("out of memory for write-backs in flight");
	buf = p;
	buf_cap = cap;
}

void
shim_pending_add(uint32_t tid, struct shim_region *r, uint64_t off,
		const void *content, size_t len)
{
	size_t rec = (sizeof(struct pending) + len + 7) & ~(size_t)7;
	if (buf_used + rec > buf_cap)
		grow(rec);
	struct pending *p = (struct pending *)(buf + buf_used);
	*p = (struct pending){ .tid = tid, .region_id = r->id, .region = r,
		.off = off, .len = (uint32_t)len, .rec_len = (uint32_t)rec };
	shim_copy_small(p->content, content, len); /* a line, inline */
	buf_used += rec;
}

/* drain -- write back the entries of tid (all: tid 0), keep the rest */
static void
drain(uint32_t tid)
{
	size_t keep = 0;
	for (size_t at = 0; at < buf_used;) {
		struct pending *p = (struct pending *)(buf + at);
		size_t rec = p->rec_len;
		if (tid == 0 || p->tid == tid) {
			shim_media_write(p->region, p->off, p->content, p->len);
		} else {
			if (keep != at)
				memmove(buf + keep, p, rec);
			keep += rec;
		}
		at += rec;
	}
	buf_used = keep;
}

bool
shim_pending_of(uint32_t tid)
{
	for (size_t at = 0; at < buf_used;) {
		const struct pending *p = (const struct pending *)(buf + at);
		if (p->tid == tid)
			return true;
		at += p->rec_len;
	}
	return false;
}

void
shim_pending_drain(uint32_t tid)
{
	if (buf_used != 0)
		drain(tid);
}

void
shim_pending_drain_all(void)
{
	if (buf_used != 0)
		drain(0);
}
