/*
 * shim_view.c -- the view (a sparse shadow of the media that the program
 * maps) and the media side: durable lines written back to the real file
 *
 * The view lives in PMEMU_TMPDIR (default /dev/shm), unlinked at once so a
 * killed run leaves nothing behind; forked children share it through the
 * inherited descriptor and mappings, other processes of the run through
 * the run's table (shim_session.c). Only the data ranges of the media are
 * copied (SEEK_DATA/SEEK_HOLE), and all-zero blocks are skipped, so a
 * 1 GiB pool of which 1 MiB is used costs 1 MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "real.h"
#include "shim_far.h"
#include "shim_core.h"
#include "shim_options.h"
#include "trace.h"
#include "shim_region.h"
#include "shim_session.h"

#define COPY_CHUNK (64u << 10)
#define PAGE_LEN 4096u
#define UNSYNCED_MAX_PAGES (1ull << 28) /* 1 TiB of 4 KiB pages */
#define BITMAP_LEN (UNSYNCED_MAX_PAGES / 8) /* a bit per page */
#define SHIM_FD_MIN 900                 /* keep our descriptors high */

/* fd_high -- move a descriptor of ours out of the program's usual range */
static int
fd_high(int fd)
{
	int hi = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, SHIM_FD_MIN);
	if (hi < 0)
		return fd;
	REAL(close)(fd);
	return hi;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* copy_data -- the data ranges of the media into the view */
static int
copy_data(int from, int to, uint64_t len)
{
	static uint8_t buf[COPY_CHUNK];
	off_t pos = 0;
	while ((uint64_t)pos < len) {
		off_t data = lseek(from, pos, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		off_t hole = lseek(from, data, SEEK_HOLE);
		if (hole < 0)
			hole = (off_t)len;
		for (off_t o = data; o < hole; o += COPY_CHUNK) {
			size_t n = (size_t)(hole - o) < COPY_CHUNK ?
				(size_t)(hole - o) : COPY_CHUNK;
			ssize_t r = REAL(pread)(from, buf, n, o);
			if (r < 0)
				return -errno;
			if (r == 0)
				break;
			if (!all_zero(buf, (size_t)r) &&
					REAL(pwrite)(to, buf, (size_t)r, o) != r)
				return -errno;
		}
		pos = hole;
	}
	return 0;
}

/* media_map -- (re)map the media shared so durable lines are a memcpy */
static void
media_map(struct shim_region *r)
{
	if (r->media_map != NULL)
		REAL(munmap)(r->media_map, r->media_map_len);
	r->media_map = NULL;
	r->media_map_len = 0;
	r->media_ahead = (struct shim_populate){ 0 };
	if (r->len == 0)
		return;
	void *p = shim_far_mmap(r->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			r->media_fd, 0);
	if (p != MAP_FAILED) {
		r->media_map = p;
		r->media_map_len = r->len;
	}
}

/* bitmaps_map -- the page bitmaps of the view (unsynced, based), in a
 * file of their own so that every process holding the view shares them */
static int
bitmaps_map(struct shim_region *r, int meta_fd)
{
	uint8_t *p = shim_far_mmap(2 * BITMAP_LEN, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE, meta_fd, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	r->unsynced = p;
	r->based = p + BITMAP_LEN;
	return 0;
}

/* view_meta -- the bitmaps of a new view fd, both in v (their
 * descriptors): 0, or -errno with fd closed */
static int
view_meta(int fd, struct shim_session_view *v)
{
	v->view_fd = fd;
	v->meta_fd = memfd_create("pmemu-view-pages", MFD_CLOEXEC);
	if (v->meta_fd >= 0 &&
			REAL(ftruncate)(v->meta_fd, 2 * BITMAP_LEN) == 0)
		return 0;
	int ret = -errno;
	if (v->meta_fd >= 0)
		REAL(close)(v->meta_fd);
	REAL(close)(fd);
	return ret;
}

/* len_check -- a file longer than a trace can declare (its reader refuses
 * it, and the run's report with it) stops the program, saying so */
static void
len_check(const struct shim_region *r)
{
	if (r->len > TRACE_REGION_MAX_LEN)
		shim_fatal("%s is %llu GiB: pmemu emulates files of at most "
			"%llu GiB", r->path, (unsigned long long)(r->len >> 30),
			(unsigned long long)(TRACE_REGION_MAX_LEN >> 30));
}

/* view_new -- a new view: a sparse copy of the media's data, and its
 * bitmaps (v: their descriptors) */
static int
view_new(struct shim_region *r, struct shim_session_view *v)
{
	struct stat st;
	if (REAL(fstat)(r->media_fd, &st) != 0)
		return -errno;
	char tmpl[4200];
	snprintf(tmpl, sizeof(tmpl), "%s/pmemu-view-%ld-%u-XXXXXX",
		shim_opts()->tmpdir, (long)getpid(), r->id);
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	REAL(unlink)(tmpl);
	r->len = (uint64_t)st.st_size;
	len_check(r); /* before its data is copied */
	int ret = 0;
	if (REAL(ftruncate)(fd, st.st_size) != 0 ||
			(ret = copy_data(r->media_fd, fd, r->len)) != 0) {
		ret = ret ? ret : -errno;
		REAL(close)(fd);
		return ret;
	}
	return view_meta(fd, v);
}

/* the view a descriptor the image inherited at exec names, offered for
 * the next view made (shim_view_offer): -1, none */
static int offered = -1;

void
shim_view_offer(int fd)
{
	offered = fd;
}

/* view_inherited -- the offered view, held by no process of the run any
 * more: the image before the exec wrote it to the media at its clean
 * shutdown, so it holds the media's content, and the program's
 * descriptor writes it still */
static int
view_inherited(struct shim_region *r, struct shim_session_view *v)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", offered);
	int fd = REAL(open)(path, O_RDWR | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (REAL(fstat)(fd, &st) != 0) {
		int ret = -errno;
		REAL(close)(fd);
		return ret;
	}
	r->len = (uint64_t)st.st_size;
	return view_meta(fd, v);
}

/*
 * room_note -- the view needs more than the room left where views are
 * kept: its pages come at their first store, and a store that finds none
 * dies of SIGBUS (tmpfs). Said once a region in the report (a NOTE,
 * printed with the findings, or with a run cut short by that SIGBUS).
 */
static void
room_note(struct shim_region *r)
{
	struct statfs fs;
	struct stat st;
	if (r->room_noted || REAL(fstatfs)(r->view_fd, &fs) != 0 ||
			REAL(fstat)(r->view_fd, &st) != 0)
		return;
	uint64_t held = (uint64_t)st.st_blocks * 512;
	uint64_t need = r->len > held ? r->len - held : 0;
	uint64_t room = (uint64_t)fs.f_bavail * (uint64_t)fs.f_bsize;
	if (need <= room)
		return;
	r->room_noted = true;
	char note[PATH_MAX + 512];
	int n = snprintf(note, sizeof(note), "%s is %llu MiB, more than the "
		"%llu MiB free in %s, where pmemu keeps what the program sees "
		"of it: a store past that much new data dies of SIGBUS "
		"(PMEMU_TMPDIR names another place)", r->path,
		(unsigned long long)(r->len >> 20),
		(unsigned long long)(room >> 20), shim_opts()->tmpdir);
	if (n > 0)
		shim_record(TRACE_REC_NOTE, 0, note, strlen(note) + 1, NULL, 0);
}

/*
 * shim_view_create -- the view of the media r->media_fd: the one another
 * process of the run holds (shim_session.c), else a new one
 */
int
shim_view_create(struct shim_region *r)
{
	struct shim_session_view v = { .id = r->id };
	int ret = 0;
	shim_session_lock();
	if (shim_session_find(r->media_dev, r->media_ino, &v) == 0)
		r->len = v.len;
	else
		ret = offered >= 0 ? view_inherited(r, &v) : view_new(r, &v);
	if (ret == 0) {
		r->id = v.id;
		r->view_fd = v.view_fd = fd_high(v.view_fd);
		v.meta_fd = fd_high(v.meta_fd);
		shim_session_hold(r->media_dev, r->media_ino, &v);
		r->media_fd = fd_high(r->media_fd);
		ret = bitmaps_map(r, v.meta_fd);
	}
	shim_session_unlock();
	if (ret != 0)
		return ret;
	len_check(r);
	media_map(r);
	room_note(r);
	return 0;
}

bool
shim_view_shared(const struct shim_region *r)
{
	return shim_session_held_elsewhere(r->media_dev, r->media_ino);
}

/* shim_region_resized -- the view changed size (ftruncate, fallocate,
 * posix_fallocate inside libc): follow with the media and the model */
void
shim_region_resized(struct shim_region *r)
{
	struct stat st;
	if (REAL(fstat)(r->view_fd, &st) != 0 || (uint64_t)st.st_size == r->len)
		return;
	r->len = (uint64_t)st.st_size;
	len_check(r);
	if (REAL(ftruncate)(r->media_fd, st.st_size) != 0)
		return;
	media_map(r);
	if (shim_model() != NULL)
		(void)model_region_resize(shim_model(), r->id, r->len);
	struct { uint32_t region, pad; uint64_t len; } body = { r->id, 0,
		r->len };
	shim_record(TRACE_REC_RESIZE, 0, &body, sizeof(body), NULL, 0);
	room_note(r);
}

/*
 * media_base -- before a page of the media first changes, record what it
 * held (TRACE_REC_BASE): the file after the run holds what became durable,
 * and the explorer must start from what it held before. The page's bit is
 * set once its record is in the trace: another process of the run (they
 * share the bitmap) that sees it clear records the page too, and the
 * explorer keeps the first record, made before anyone wrote the page.
 */
static void
media_base(struct shim_region *r, uint64_t off, size_t len)
{
	uint8_t page[PAGE_LEN];
	for (uint64_t p = off / PAGE_LEN; p * PAGE_LEN < off + len; p++) {
		uint8_t bit = (uint8_t)(1u << (p % 8));
		if (p < UNSYNCED_MAX_PAGES && (__atomic_load_n(
				&r->based[p / 8], __ATOMIC_ACQUIRE) & bit))
			continue;
		uint64_t po = p * PAGE_LEN;
		size_t n = r->len - po < PAGE_LEN ? (size_t)(r->len - po) : PAGE_LEN;
		if (po + n <= r->media_map_len) {
			memcpy(page, r->media_map + po, n);
		} else {
			ssize_t got = REAL(pread)(r->media_fd, page, n, (off_t)po);
			if (got < 0)
				got = 0;
			memset(page + got, 0, n - (size_t)got);
		}
		struct { uint32_t region, pad; uint64_t off, len; } body = {
			r->id, 0, po, n };
		shim_record(TRACE_REC_BASE, 0, &body, sizeof(body), page, n);
		if (p < UNSYNCED_MAX_PAGES)
			__atomic_fetch_or(&r->based[p / 8], bit,
				__ATOMIC_RELEASE);
	}
}

void
shim_media_write(struct shim_region *r, uint64_t off, const void *buf,
		size_t len)
{
	if (off >= r->len)
		return;
	if (len > r->len - off)
		len = (size_t)(r->len - off);
	if (shim_trace_events())
		media_base(r, off, len);
	if (off + len <= r->media_map_len) {
		uintptr_t lo = (uintptr_t)r->media_map;
		shim_populate_touch(&r->media_ahead, lo + off, lo, lo +
			((r->media_map_len + PAGE_LEN - 1) & ~(size_t)(PAGE_LEN - 1)));
		shim_copy_small(r->media_map + off, buf, len); /* a line */
		return;
	}
	ssize_t w = REAL(pwrite)(r->media_fd, buf, len, (off_t)off);
	(void)w;
}

void
shim_media_mark(struct shim_region *r, uint64_t off, uint64_t len)
{
	if (len == 0)
		return;
	uint64_t first = off / PAGE_LEN, last = (off + len - 1) / PAGE_LEN;
	for (uint64_t p = first; p <= last && p < UNSYNCED_MAX_PAGES; p++) {
		uint8_t bit = (uint8_t)(1u << (p % 8));
		/* set already: no locked write per line (a sync that clears
		 * it after this load reads the view after this store) */
		if (!(__atomic_load_n(&r->unsynced[p / 8], __ATOMIC_ACQUIRE) &
				bit))
			__atomic_or_fetch(&r->unsynced[p / 8], bit,
					__ATOMIC_RELAXED);
	}
}

void
shim_media_sync(struct shim_region *r, uint64_t off, uint64_t len)
{
	uint8_t page[PAGE_LEN];
	if (off >= r->len)
		return;
	if (len > r->len - off)
		len = r->len - off;
	uint64_t first = off / PAGE_LEN;
	uint64_t end = (off + len + PAGE_LEN - 1) / PAGE_LEN;
	for (uint64_t p = first; p < end && p < UNSYNCED_MAX_PAGES; p++) {
		if (r->unsynced[p / 8] == 0) {
			p |= 7; /* skip the whole byte */
			continue;
		}
		uint8_t bit = (uint8_t)(1u << (p % 8));
		if (!(__atomic_fetch_and(&r->unsynced[p / 8], (uint8_t)~bit,
				__ATOMIC_RELAXED) & bit))
			continue;
		ssize_t n = REAL(pread)(r->view_fd, page, PAGE_LEN,
				(off_t)(p * PAGE_LEN));
		if (n > 0)
			shim_media_write(r, p * PAGE_LEN, page, (size_t)n);
	}
}
