/*
 * writer.c -- appending records to a trace from many threads and processes
 *
 * The file is mapped shared and sparse (TRACE_MAP_LEN), and the header's
 * data_end is the reservation cursor: a record is reserved with one atomic
 * add, filled, then sealed. Records survive a SIGKILL (they are in the page
 * cache), a forked child appends to the same mapping, and the reader stops
 * at the first record that was reserved but never sealed.
 *
 * A page of a shared mapping that the file system cannot back faults with
 * SIGBUS, which would kill the traced program: the space under the cursor
 * is allocated ahead (fallocate, TRACE_ALLOC_CHUNK at a time) before any
 * byte is written there. When that fails (a full disk), the header gets
 * TRACE_F_INCOMPLETE and every later append is dropped: the program runs
 * on, and the CLI reports the trace incomplete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "writer_priv.h"

#define TRACE_MAP_LEN (64ull << 30) /* sparse: costs what is written */
#define TRACE_ALLOC_CHUNK (256ull << 10)

/*
 * alloc_to -- the file's blocks under [0, end) exist, so that writing
 * them through the mapping cannot fault; 0 or -errno (-ENOSPC)
 */
static int
alloc_to(struct trace_writer *w, uint64_t end)
{
	uint64_t have = __atomic_load_n(&w->alloc_end, __ATOMIC_ACQUIRE);
	if (end <= have)
		return 0;
	uint64_t to = (end + TRACE_ALLOC_CHUNK - 1) & ~(TRACE_ALLOC_CHUNK - 1);
	if (to > TRACE_MAP_LEN)
		to = TRACE_MAP_LEN;
	if (fallocate(w->fd, 0, (off_t)have, (off_t)(to - have)) != 0) {
		if (errno != EOPNOTSUPP)
			return -errno;
		to = TRACE_MAP_LEN; /* cannot tell ahead: write and hope */
	}
	while (have < to && !__atomic_compare_exchange_n(&w->alloc_end, &have,
			to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	return 0;
}

/* incomplete -- out of space: mark the trace and drop what follows */
static int
incomplete(struct trace_writer *w, int err)
{
	__atomic_or_fetch(&w->hdr->flags, TRACE_F_INCOMPLETE, __ATOMIC_ACQ_REL);
	return err;
}

int
trace_writer_open(const char *path, const struct trace_writer_info *info,
		struct trace_writer **wp)
{
	if (info->version > TRACE_VERSION)
		return -EINVAL;
	/* never through a link planted at the name (docs/shim.md, Files) */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW |
			O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	struct trace_writer first = { .fd = fd };
	int err = ftruncate(fd, (off_t)TRACE_MAP_LEN) != 0 ? -errno :
		alloc_to(&first, TRACE_HEADER_LEN);
	if (err != 0) {
		/* empty, not 64 GiB of holes a reader's mapping faults on */
		(void)ftruncate(fd, 0);
		close(fd);
		return err;
	}
	void *base = mmap(NULL, TRACE_MAP_LEN, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	struct trace_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		munmap(base, TRACE_MAP_LEN);
		close(fd);
		return -ENOMEM;
	}
	trace_writer_slots_init();
	w->fd = fd;
	w->version = info->version ? info->version : TRACE_VERSION;
	w->alloc_end = first.alloc_end;
	w->owner = getpid();
	w->base = base;
	w->hdr = base;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct trace_header *h = w->hdr;
	memcpy(h->magic, TRACE_MAGIC, 8);
	h->version = w->version;
	h->header_len = TRACE_HEADER_LEN;
	h->domain = info->domain;
	h->line_len = info->line_len;
	h->sector_len = info->sector_len;
	h->flags = info->clflush_weak ? TRACE_F_CLFLUSH_WEAK : 0;
	h->created_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	h->pid = (uint32_t)w->owner;
	if (info->program)
		strncpy(h->program, info->program, sizeof(h->program) - 1);
	__atomic_store_n(&h->data_end, TRACE_HEADER_LEN, __ATOMIC_RELEASE);
	*wp = w;
	return 0;
}

int
trace_writer_join(const char *path, bool owner, struct trace_writer **wp)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct trace_header h;
	struct stat st;
	int err = 0;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
			memcmp(h.magic, TRACE_MAGIC, 8) != 0 ||
			h.version < 1 || h.version > TRACE_VERSION)
		err = -EINVAL;
	/* the opener may have trimmed it already (it ended first) */
	else if (fstat(fd, &st) != 0 || ((uint64_t)st.st_size < TRACE_MAP_LEN &&
			ftruncate(fd, (off_t)TRACE_MAP_LEN) != 0))
		err = -errno;
	void *base = err ? MAP_FAILED : mmap(NULL, TRACE_MAP_LEN,
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	struct trace_writer *w = base == MAP_FAILED ? NULL :
		calloc(1, sizeof(*w));
	if (w == NULL) {
		err = err ? err : base == MAP_FAILED ? -errno : -ENOMEM;
		if (base != MAP_FAILED)
			munmap(base, TRACE_MAP_LEN);
		close(fd);
		return err;
	}
	trace_writer_slots_init();
	w->fd = fd;
	w->version = h.version;
	w->owner = owner ? getpid() : 0; /* the owner ends and trims it */
	w->base = base;
	w->hdr = base;
	*wp = w;
	return 0;
}

uint8_t *
trace_reserve(struct trace_writer *w, uint64_t len, int *err)
{
	*err = 0;
	if (len > UINT32_MAX) {
		*err = -E2BIG;
		return NULL;
	}
	if (__atomic_load_n(&w->hdr->flags, __ATOMIC_ACQUIRE) &
			TRACE_F_INCOMPLETE) {
		*err = -ENOSPC;
		return NULL;
	}
	uint64_t pos = __atomic_fetch_add(&w->hdr->data_end, len,
			__ATOMIC_ACQ_REL);
	if (pos + len > TRACE_MAP_LEN)
		*err = incomplete(w, -ENOSPC);
	else if ((*err = alloc_to(w, pos + len)) != 0)
		*err = incomplete(w, *err); /* the reader stops at this
		                               unwritten record */
	return *err ? NULL : w->base + pos;
}

int
trace_append(struct trace_writer *w, uint16_t type, uint32_t tid,
		uint32_t site, const void *b1, size_t l1, const void *b2,
		size_t l2)
{
	if (w->version >= 2)
		return trace_append_v2(w, type, tid, site, b1, l1, b2, l2);
	uint64_t len = (TRACE_REC_HDR_LEN + l1 + l2 + 7) & ~7ull;
	int err;
	uint8_t *rec = trace_reserve(w, len, &err);
	if (rec == NULL)
		return err;
	struct trace_rec_hdr *rh = (struct trace_rec_hdr *)rec;
	rh->len = (uint32_t)len;
	rh->type = type;
	rh->flags = b2 && l2 ? 1 : 0;
	rh->tid = tid;
	rh->site = site;
	rh->crc = 0;
	rh->seal = 0;
	if (l1)
		memcpy(rec + TRACE_REC_HDR_LEN, b1, l1);
	if (l2)
		memcpy(rec + TRACE_REC_HDR_LEN + l1, b2, l2);
	memset(rec + TRACE_REC_HDR_LEN + l1 + l2, 0,
			len - TRACE_REC_HDR_LEN - l1 - l2);
	rh->crc = trace_crc32c(0, rec, len);
	__atomic_store_n(&rh->seal, TRACE_SEAL, __ATOMIC_RELEASE);
	return 0;
}

int
trace_append_event(struct trace_writer *w, const struct model_event *ev)
{
	if (w->version >= 2)
		return trace_append_event_v2(w, ev);
	struct trace_ev_body b = { ev->region, 0, ev->off, ev->len };
	size_t dlen = ev->data ? (size_t)ev->len : 0;
	return trace_append(w, (uint16_t)ev->kind, ev->tid, ev->site, &b,
			sizeof(b), ev->data, dlen);
}

/* used_end -- data_end, or where the allocated blocks stop before it (a
 * full disk: the holes past it were never written) */
static uint64_t
used_end(int fd, const struct trace_header *h)
{
	if (!(h->flags & TRACE_F_INCOMPLETE))
		return h->data_end;
	off_t hole = lseek(fd, 0, SEEK_HOLE);
	return hole >= 0 && (uint64_t)hole < h->data_end ? (uint64_t)hole :
		h->data_end;
}

int
trace_writer_close(struct trace_writer *w, int exit_status)
{
	int err = 0;
	if (getpid() == w->owner) {
		int32_t body[2] = { exit_status, 0 };
		err = trace_append(w, TRACE_REC_END, 0, 0, body, sizeof(body),
				NULL, 0);
		uint64_t end = used_end(w->fd, w->hdr);
		if (msync(w->base, end, MS_SYNC) != 0 && err == 0)
			err = -errno;
		if (ftruncate(w->fd, (off_t)end) != 0 && err == 0)
			err = -errno;
	}
	munmap(w->base, TRACE_MAP_LEN);
	close(w->fd);
	free(w);
	return err;
}

bool
trace_file_incomplete(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct trace_header h;
	bool r = fd >= 0 && pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
		memcmp(h.magic, TRACE_MAGIC, 8) == 0 &&
		(h.flags & TRACE_F_INCOMPLETE);
	if (fd >= 0)
		close(fd);
	return r;
}

int
trace_file_trim(const char *path)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct trace_header h;
	int err = 0;
	struct stat st;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
			memcmp(h.magic, TRACE_MAGIC, 8) != 0)
		err = -EINVAL;
	else if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > h.data_end &&
			ftruncate(fd, (off_t)used_end(fd, &h)) != 0)
		err = -errno;
	close(fd);
	return err;
}
