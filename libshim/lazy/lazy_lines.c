/*
 * lazy_lines.c -- libpmemu-lazy.so: the watched lines of the image, what
 * the check knows of each (the bytes it read, the bytes it stored), and
 * the read log's records about them (the formats: lazy_watch.c). Called
 * from the fault handler: no allocation after lw_lines_ready, write(2)
 * only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lazy_fork.h"
#include "lazy_io.h"
#include "lazy_lines.h"
#include "lazy_where.h"

#define LW_OVERWRITING 2 /* seen: stored whole by the instruction stepped */

static struct {
	struct lw_line *lines;
	size_t nlines, cap;
	unsigned char *seen;    /* no longer watched (or LW_OVERWRITING) */
	unsigned char *logged;  /* its "L" record written */
	uint64_t *revealed;     /* bytes of a line whose content is known */
	uint64_t *written;      /* bytes of a line this process stored */
	int log_fd;
	bool file_stored;       /* a file call stored into an image file */
} ln = { .log_fd = -1 };

static ssize_t (*real_write)(int, const void *, size_t);

/* log_str -- one record; write(2) only (libc's, resolved by the
 * constructor, not our write of lazy_io.c): safe in the fault handler */
static void
log_str(const char *s, size_t n)
{
	if (ln.log_fd >= 0 && real_write(ln.log_fd, s, n) < 0)
		return;
}

void
lw_log_unseen(const char *why)
{
	char buf[160];
	size_t n = strlen(why);
	if (n > sizeof(buf) - 4)
		n = sizeof(buf) - 4;
	buf[0] = 'U';
	buf[1] = ' ';
	memcpy(buf + 2, why, n);
	buf[n + 2] = '\n';
	log_str(buf, n + 3);
}

/* put_record -- "<c> <i>" into buf; its length */
static size_t
put_record(char *buf, char c, size_t i)
{
	char num[24], *p = num + sizeof(num);
	size_t n = 0;
	do
		*--p = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	buf[n++] = c;
	buf[n++] = ' ';
	memcpy(buf + n, p, (size_t)(num + sizeof(num) - p));
	return n + (size_t)(num + sizeof(num) - p);
}

/* log_first -- "L <index> <how> <where>\n": how this process first
 * touched line i (lazy_where.h), once */
static void
log_first(size_t i, char kind, uintptr_t pc)
{
	if (ln.logged[i])
		return;
	ln.logged[i] = 1;
	char buf[4200];
	size_t n = put_record(buf, 'L', i);
	n += lw_where(buf + n, sizeof(buf) - n - 1, kind, pc);
	buf[n++] = '\n';
	log_str(buf, n);
}

/* line_full -- the byte mask of line i whole (a line over 64 bytes is
 * never split: any byte of it stands for all) */
static uint64_t
line_full(size_t i)
{
	uint32_t len = ln.lines[i].len;
	return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/* reveal -- the check reads the bytes of line i in mask: those it had
 * neither read nor stored are logged "B <index> <mask hex>" (pmemu
 * branches on their outcomes); the line is watched until every byte is */
static void
reveal(size_t i, uint64_t bytes, char kind, uintptr_t pc)
{
	uint64_t full = line_full(i);
	uint64_t fresh = (ln.lines[i].len > 64 ? full : bytes & full) &
		~ln.revealed[i] & ~ln.written[i];
	if (ln.seen[i] || fresh == 0)
		return;
	log_first(i, kind, pc);
	char buf[64];
	size_t n = put_record(buf, 'B', i);
	buf[n++] = ' ';
	for (int s = 60; s >= 0; s -= 4)
		if ((fresh >> s) != 0 || s == 0)
			buf[n++] = "0123456789abcdef"[(fresh >> s) & 15];
	buf[n++] = '\n';
	log_str(buf, n);
	lf_branch(i, ln.revealed[i], fresh); /* returns in each child too */
	ln.revealed[i] |= fresh;
	if ((ln.revealed[i] | ln.written[i]) == full)
		ln.seen[i] = 1;
}

/* byte_mask -- bits from..to-1 of a line's byte mask (to <= 64) */
static uint64_t
byte_mask(uint64_t from, uint64_t to)
{
	uint64_t upto = to >= 64 ? ~0ull : (1ull << to) - 1;
	return from >= 64 ? 0 : upto & ~((1ull << from) - 1);
}

/* overlap -- the bytes of line i in [a, b) of its file */
static uint64_t
overlap(size_t i, uint64_t a, uint64_t b)
{
	const struct lw_line *l = &ln.lines[i];
	if (l->len > 64)
		return ~0ull;
	return byte_mask(a > l->off ? a - l->off : 0,
			b < l->off + l->len ? b - l->off : l->len);
}

size_t
lw_first_line(uint32_t file, uint64_t off)
{
	size_t lo = 0, hi = ln.nlines;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct lw_line *l = &ln.lines[mid];
		if (l->file < file || (l->file == file && l->off + l->len <= off))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

unsigned long
lw_lines_branches(uint32_t file, uint64_t off, uint64_t end)
{
	unsigned long n = 0;
	for (size_t i = lw_first_line(file, off); i < ln.nlines &&
			ln.lines[i].file == file && ln.lines[i].off < end; i++)
		if (!ln.seen[i])
			n += ln.lines[i].branches;
	return n;
}

/* log_range -- a read of [off, end) of file: the bytes of the watched
 * lines it covers (P: every byte of them, as with a page) */
static void
log_range(uint32_t file, uint64_t off, uint64_t end, char kind, uintptr_t pc)
{
	for (size_t i = lw_first_line(file, off); i < ln.nlines &&
			ln.lines[i].file == file && ln.lines[i].off < end; i++)
		reveal(i, kind == 'P' ? ~0ull : overlap(i, off, end), kind, pc);
}


/* FEW_LINES -- a spec of up to this many lines (one per crash point's
 * undecided line: most have a few) lives in static storage: a served
 * child that allocated it ran malloc's set-up and grew the heap per run */
#define FEW_LINES 64
static struct {
	struct lw_line lines[FEW_LINES];
	unsigned char seen[FEW_LINES], logged[FEW_LINES];
	uint64_t revealed[FEW_LINES], written[FEW_LINES];
} few;

void
lw_line_add(const struct lw_line *l)
{
	if (ln.nlines == ln.cap) {
		ln.cap = ln.cap ? ln.cap * 2 : FEW_LINES;
		if (ln.cap == FEW_LINES) {
			ln.lines = few.lines;
		} else {
			struct lw_line *v = malloc(ln.cap * sizeof(*v));
			if (v == NULL)
				abort();
			memcpy(v, ln.lines, ln.nlines * sizeof(*v));
			if (ln.lines != few.lines)
				free(ln.lines);
			ln.lines = v;
		}
	}
	ln.lines[ln.nlines++] = *l;
}

void
lw_lines_resolve(void)
{
	real_write = (__typeof__(real_write))dlsym(RTLD_NEXT, "write");
}

int
lw_lines_ready(int log_fd)
{
	if (ln.nlines <= FEW_LINES) {
		ln.seen = few.seen;
		ln.logged = few.logged;
		ln.revealed = few.revealed;
		ln.written = few.written;
	} else {
		ln.seen = calloc(ln.nlines + 1, 1);
		ln.logged = calloc(ln.nlines + 1, 1);
		ln.revealed = calloc(ln.nlines + 1, sizeof(*ln.revealed));
		ln.written = calloc(ln.nlines + 1, sizeof(*ln.written));
	}
	if (!ln.seen || !ln.logged || !ln.revealed || !ln.written ||
			real_write == NULL) {
		ln.nlines = 0;
		return -1;
	}
	for (size_t i = 0; i < ln.nlines; i++)
		ln.revealed[i] = ln.lines[i].known;
	ln.log_fd = log_fd;
	return 0;
}

size_t
lw_lines_count(void)
{
	return ln.nlines;
}

const struct lw_line *
lw_line_at(size_t i)
{
	return &ln.lines[i];
}

bool
lw_line_watched(size_t i)
{
	return !ln.seen[i];
}

/* lw_stored -- a store through fd at [off, off + len): the undecided lines
 * it covers whole are written first (lazy_where.h) */
void
lw_stored(int fd, uint64_t off, size_t len, uintptr_t pc)
{
	int saved = errno;
	long file = ln.nlines && len ? lw_image_file(fd) : -1;
	ln.file_stored |= file >= 0;
	for (size_t i = file < 0 ? ln.nlines : lw_first_line((uint32_t)file, off);
			i < ln.nlines && ln.lines[i].file == (uint32_t)file &&
			ln.lines[i].off < off + len; i++)
		if (ln.lines[i].off >= off &&
				ln.lines[i].off + ln.lines[i].len <= off + len)
			reveal(i, ~0ull, 'W', pc);
	errno = saved;
}

/* lw_touch -- an instruction's access to [a, b) of file: a read
 * reveals the bytes it reads; a store through a shared mapping adds to
 * the bytes the check stored, and a line whose every byte is read or
 * stored is no longer watched: its other bytes are overwritten ("O": no
 * outcome of them can change what the check does); any other store
 * reveals the line whole */
void
lw_touch(uint32_t file, bool shared, uint64_t a, uint64_t b, bool store,
		uintptr_t pc)
{
	for (size_t i = lw_first_line(file, a); i < ln.nlines &&
			ln.lines[i].file == file && ln.lines[i].off < b; i++) {
		if (ln.seen[i])
			continue;
		if (!store) {
			reveal(i, overlap(i, a, b), 'R', pc);
		} else if (ln.lines[i].len > 64 || !shared) {
			reveal(i, ~0ull, 'W', pc);
		} else {
			ln.written[i] |= overlap(i, a, b);
			if ((ln.written[i] | ln.revealed[i]) == line_full(i))
				ln.seen[i] = LW_OVERWRITING;
		}
	}
}

/* lw_overwritten -- log the lines of [a, b) stored whole by the instruction
 * just stepped: after its stores, so a process reading the line before
 * them (a concurrent check) logs its read first */
void
lw_overwritten(uint32_t file, uint64_t a, uint64_t b)
{
	for (size_t i = lw_first_line(file, a); i < ln.nlines &&
			ln.lines[i].file == file && ln.lines[i].off < b; i++)
		if (ln.seen[i] == LW_OVERWRITING) {
			char buf[32];
			size_t n = put_record(buf, 'O', i);
			buf[n++] = '\n';
			log_str(buf, n);
			ln.seen[i] = 1;
		}
}

void
lw_read_range(long file, uint64_t off, uint64_t end, char kind, uintptr_t pc)
{
	if (file >= 0 && ln.nlines)
		log_range((uint32_t)file, off, end, kind, pc);
}

bool
lw_watching(void)
{
	return ln.nlines != 0;
}


uint64_t
lw_line_written(size_t i)
{
	return ln.written[i];
}

bool
lw_file_stored(void)
{
	return ln.file_stored;
}

void
lw_log_record(const char *s, size_t n)
{
	log_str(s, n);
}

void
lw_lines_forked(void)
{
	memset(ln.logged, 0, ln.nlines);
}
