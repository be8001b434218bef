/*
 * shim_sync.c -- the standard file API on emulated files: write/pwrite are
 * traced stores in the file's domain, fsync/fdatasync/msync flush and
 * fence (MODEL.md, "Other domains")
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_pending.h"
#include "shim_poison.h"
#include "shim_site.h"
#include "shim_view.h"

#define WRITE_CHUNK (1u << 20) /* bytes of one traced store record */

void
shim_snapshot_unsynced(struct shim_region *r, uint64_t off, uint64_t len)
{
	if (!shim_trace_events() || off >= r->len)
		return;
	if (len > r->len - off)
		len = r->len - off;
	uint8_t page[SHIM_PAGE_LEN];
	uint32_t line = r->line_len;
	for (uint64_t p = off / SHIM_PAGE_LEN * SHIM_PAGE_LEN; p < off + len;
			p += SHIM_PAGE_LEN) {
		if (!(r->unsynced[p / SHIM_PAGE_LEN / 8] &
				(1u << (p / SHIM_PAGE_LEN % 8))))
			continue;
		ssize_t n = REAL(pread)(r->view_fd, page, SHIM_PAGE_LEN, (off_t)p);
		for (ssize_t l = 0; l < n; l += line) {
			uint32_t ln = (uint32_t)(n - l) < line ?
				(uint32_t)(n - l) : line;
			if (p + l + ln <= r->media_map_len && memcmp(page + l,
					r->media_map + p + l, ln) == 0)
				continue;
			struct model_event snap = { .kind = MODEL_EV_SNAPSHOT,
				.tid = shim_tid(), .region = r->id,
				.off = p + l, .len = ln, .data = page + l };
			(void)trace_append_event(shim_trace_writer(), &snap);
		}
	}
}

void
shim_file_sync_locked(struct shim_region *r, enum model_ev kind,
		uint64_t off, uint64_t len, uint32_t site)
{
	shim_snapshot_unsynced(r, off, len);
	struct model_event ev = { .kind = kind, .tid = shim_tid(),
		.site = site, .region = r->id, .off = off, .len = len };
	shim_emit_locked(&ev);
	shim_pending_drain(shim_tid());
	shim_media_sync(r, off, len);
}

struct region_ctx {
	struct shim_region *r;
};

static void
settle_region(struct shim_mapping *m, void *ctx)
{
	struct region_ctx *c = ctx;
	if (m->region == c->r)
		shim_dirty_settle_range(m, m->base, m->base + m->len);
}

/* fsync_locked -- [off, off+len) of r's file durable, as fsync makes it
 * (len 0: to the end); lock held */
static void
fsync_locked(struct shim_region *r, uint64_t off, uint64_t len,
		uint32_t site)
{
	struct region_ctx c = { r };
	shim_region_resized(r);
	shim_mapping_for_each(settle_region, &c);
	if (len == 0 || off + len > r->len)
		len = r->len > off ? r->len - off : 0;
	shim_file_sync_locked(r, MODEL_EV_FSYNC, off, len, site);
}

void
shim_file_fsync(int fd, uint64_t off, uint64_t len)
{
	struct shim_region *r = shim_fd_region(fd);
	if (r == NULL)
		return;
	uint32_t site = shim_site_here();
	shim_lock();
	fsync_locked(r, off, len, site);
	shim_unlock();
}

/* ctx of sync_one: the file system synced (0: every one) and the site */
struct sync_all_ctx {
	dev_t dev;
	bool every;
	uint32_t site;
};

static void
sync_one(struct shim_region *r, void *ctx)
{
	struct sync_all_ctx *c = ctx;
	if (c->every || r->media_dev == c->dev)
		fsync_locked(r, 0, 0, c->site);
}

void
shim_file_sync_all(int fd)
{
	struct sync_all_ctx c = { .every = fd < 0, .site = shim_site_here() };
	struct shim_region *r = fd < 0 ? NULL : shim_fd_region(fd);
	struct stat st;
	if (r != NULL)
		c.dev = r->media_dev;
	else if (fd >= 0 && REAL(fstat)(fd, &st) == 0)
		c.dev = st.st_dev;
	else if (fd >= 0)
		return;
	shim_lock();
	shim_region_for_each(sync_one, &c);
	shim_unlock();
}

/* region_written -- len bytes of buf at off of r's file, traced */
static void
region_written(struct shim_region *r, uint64_t off, const void *buf,
		size_t len, uint32_t site)
{
	shim_lock();
	shim_region_resized(r);
	for (size_t done = 0; done < len; done += WRITE_CHUNK) {
		size_t n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK;
		struct model_event ev = { .kind = MODEL_EV_STORE,
			.tid = shim_tid(), .site = site, .region = r->id,
			.off = off + done, .len = n,
			.data = (const uint8_t *)buf + done };
		shim_emit_locked(&ev);
		shim_media_mark(r, off + done, n);
		if (r->domain == MODEL_DOMAIN_EADR)
			shim_media_write(r, off + done,
				(const uint8_t *)buf + done, n);
	}
	/* the pmem driver clears the bad blocks a write covers */
	if (shim_poison_clear(r, off, len, true) > 0)
		shim_poison_save();
	shim_unlock();
}

void
shim_file_written(int fd, uint64_t off, const void *buf, size_t len)
{
	struct shim_region *r = shim_fd_region(fd);
	if (r == NULL || len == 0)
		return;
	region_written(r, off, buf, len, shim_site_here());
	/* O_SYNC, O_DSYNC: durable when the write returns, as by fsync */
	if (shim_fd_dsync(fd))
		shim_file_fsync(fd, off, len);
}

void
shim_region_zeroed(struct shim_region *r, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[WRITE_CHUNK];
	uint32_t site = shim_site_here();
	shim_lock();
	shim_region_resized(r);
	/* a punched hole reads as zeros: its lines are no longer bad */
	if (shim_poison_clear(r, off, len, true) > 0)
		shim_poison_save();
	uint64_t end = r->len;
	shim_unlock();
	/* and the file changed, as by a write of zeros: durable at a sync,
	 * in the media after the run (the view alone had the hole) */
	if (off >= end)
		return;
	if (len > end - off)
		len = end - off;
	for (uint64_t done = 0; done < len; done += WRITE_CHUNK) {
		uint64_t left = len - done;
		region_written(r, off + done, zeros,
			left < WRITE_CHUNK ? (size_t)left : WRITE_CHUNK, site);
	}
}

void
shim_file_punched(int fd, uint64_t off, uint64_t len)
{
	struct shim_region *r = shim_fd_region(fd);
	if (r != NULL)
		shim_region_zeroed(r, off, len);
}
