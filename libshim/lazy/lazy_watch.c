/*
 * lazy_watch.c -- libpmemu-lazy.so: which undecided lines of a crash image
 * a check reads, in order (`pmemu explore --explore lazy`, docs/explore.md)
 *
 * pmemu writes <PMEMU_IMAGE>.lazy-spec (PMEMU_IMAGE: the image directory):
 *   F <path>                  an image file (index = order)
 *   L <file> <off> <len>      an undecided line (index = order), sorted
 * Every process of the check preloads this library (LD_PRELOAD, with
 * PMEMU_LAZY=1). It protects the pages of undecided lines in every mapping
 * of an image file and appends "L <index> ..." to <PMEMU_IMAGE>.lazy-log at
 * the first access to each: a fault decides every undecided line of its
 * page; read/pread/readv/preadv decide the lines they cover; a stdio stream
 * on an image file decides all of them (its reads are libc-internal). A
 * path this library cannot see -- O_DIRECT, a kernel-side copy
 * (copy_file_range, sendfile, splice: lazy_io.c), a static or setuid
 * program exec'd -- appends "U <why>\n", and pmemu explores that crash
 * point eagerly. Each "L" record says how the line was first touched and
 * where (lazy_where.h): a read, a store (a write fault, or write/pwrite
 * covering it: lazy_io.c), or decided with its page.
 *
 * Only observes: the image holds the lines' durable content; pmemu decides
 * another outcome of a read line in another run. No allocation after the
 * constructor; the fault handler only writes and mprotects.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lazy_io.h"
#include "lazy_where.h"

#define LW_FILES_MAX 64
#define LW_MAPS_MAX 256

struct lw_line {
	uint32_t file;
	uint64_t off;
	uint32_t len;
};
struct lw_map {
	uintptr_t start, end;
	uint32_t file;
	uint64_t off;
	int prot;
};

static struct {
	dev_t dev[LW_FILES_MAX];
	ino_t ino[LW_FILES_MAX];
	size_t nfiles;
	struct lw_line *lines;
	unsigned char *seen;
	size_t nlines;
	struct lw_map maps[LW_MAPS_MAX];
	size_t nmaps;
	uintptr_t page;
	int log_fd;
	struct sigaction old_segv;
} lw = { .log_fd = -1 };

#define REAL_DECL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)
REAL_DECL(void *, mmap, void *, size_t, int, int, int, off_t);
REAL_DECL(int, munmap, void *, size_t);
REAL_DECL(int, mprotect, void *, size_t, int);
REAL_DECL(ssize_t, read, int, void *, size_t);
REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(ssize_t, pread, int, void *, size_t, off_t);
REAL_DECL(ssize_t, readv, int, const struct iovec *, int);
REAL_DECL(ssize_t, preadv, int, const struct iovec *, int, off_t);
REAL_DECL(int, open, const char *, int, ...);
REAL_DECL(int, openat, int, const char *, int, ...);
REAL_DECL(FILE *, fopen, const char *, const char *);
REAL_DECL(FILE *, fdopen, int, const char *);
REAL_DECL(int, execve, const char *, char *const[], char *const[]);
REAL_DECL(off_t, lseek, int, off_t, int);

#define RESOLVE(name) \
	(real_##name = real_##name ? real_##name : \
	 (__typeof__(real_##name))dlsym(RTLD_NEXT, #name))

/* log_str -- one record; write(2) only (libc's, resolved by the
 * constructor, not our write of lazy_io.c): safe in the fault handler */
static void
log_str(const char *s, size_t n)
{
	if (lw.log_fd >= 0 && real_write(lw.log_fd, s, n) < 0)
		return;
}

static void
log_unseen(const char *why)
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

/* log_line -- "L <index> <how> <where>\n" once per process (lazy_where.h) */
static void
log_line(size_t i, char kind, uintptr_t pc)
{
	if (lw.seen[i])
		return;
	lw.seen[i] = 1;
	char buf[4200];
	size_t n = 0, v = i;
	char num[24], *p = num + sizeof(num);
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf[n++] = 'L';
	buf[n++] = ' ';
	memcpy(buf + n, p, (size_t)(num + sizeof(num) - p));
	n += (size_t)(num + sizeof(num) - p);
	n += lw_where(buf + n, sizeof(buf) - n - 1, kind, pc);
	buf[n++] = '\n';
	log_str(buf, n);
}

/* first_line -- the first line of file ending after off (lines sorted) */
static size_t
first_line(uint32_t file, uint64_t off)
{
	size_t lo = 0, hi = lw.nlines;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct lw_line *l = &lw.lines[mid];
		if (l->file < file || (l->file == file && l->off + l->len <= off))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* log_range -- the undecided lines of file overlapping [off, end) */
static void
log_range(uint32_t file, uint64_t off, uint64_t end, char kind, uintptr_t pc)
{
	for (size_t i = first_line(file, off); i < lw.nlines &&
			lw.lines[i].file == file && lw.lines[i].off < end; i++)
		log_line(i, kind, pc);
}

/* image_file -- the index of the image file fd is open on, or -1 */
static long
image_file(int fd);

long
lw_image_file(int fd)
{
	return image_file(fd);
}

void
lw_log_unseen(const char *why)
{
	log_unseen(why);
}

/* lw_stored -- a store through fd at [off, off + len): the undecided lines
 * it covers whole are written first (lazy_where.h) */
void
lw_stored(int fd, uint64_t off, size_t len, uintptr_t pc)
{
	int saved = errno;
	long file = lw.nlines && len ? image_file(fd) : -1;
	for (size_t i = file < 0 ? lw.nlines : first_line((uint32_t)file, off);
			i < lw.nlines && lw.lines[i].file == (uint32_t)file &&
			lw.lines[i].off < off + len; i++)
		if (lw.lines[i].off >= off &&
				lw.lines[i].off + lw.lines[i].len <= off + len)
			log_line(i, 'W', pc);
	errno = saved;
}

static long
image_file(int fd)
{
	struct stat st;
	if (lw.nfiles == 0 || fd < 0 || fstat(fd, &st) != 0)
		return -1;
	for (size_t i = 0; i < lw.nfiles; i++)
		if (lw.dev[i] == st.st_dev && lw.ino[i] == st.st_ino)
			return (long)i;
	return -1;
}

/* protect -- the pages of m's undecided lines not yet read: no access */
static void
protect(const struct lw_map *m, uintptr_t from, uintptr_t to)
{
	uint64_t off = m->off + (from - m->start);
	for (size_t i = first_line(m->file, off); i < lw.nlines &&
			lw.lines[i].file == m->file; i++) {
		const struct lw_line *l = &lw.lines[i];
		uintptr_t a = m->start + (l->off - m->off);
		if (l->off < m->off)
			continue;
		if (a >= to)
			break;
		if (lw.seen[i])
			continue;
		uintptr_t p = a & ~(lw.page - 1);
		uintptr_t e = (a + l->len + lw.page - 1) & ~(lw.page - 1);
		real_mprotect((void *)p, e - p, PROT_NONE);
	}
}

static struct lw_map *
map_of(uintptr_t a)
{
	for (size_t i = 0; i < lw.nmaps; i++)
		if (a >= lw.maps[i].start && a < lw.maps[i].end)
			return &lw.maps[i];
	return NULL;
}

/* on_fault -- a protected page: its lines are read now; else not ours */
static void
on_fault(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	struct lw_map *m = map_of((uintptr_t)si->si_addr);
	if (m != NULL) {
		uintptr_t p = (uintptr_t)si->si_addr & ~(lw.page - 1);
		uint64_t off = m->off + (p - m->start);
		uint64_t at = m->off + ((uintptr_t)si->si_addr - m->start);
		bool store;
		uintptr_t pc = lw_fault_pc(uc, &store);
		/* the touched line first; the page's others: decided with it */
		log_range(m->file, at, at + 1, store ? 'W' : 'R', pc);
		log_range(m->file, off, off + lw.page, 'P', pc);
		real_mprotect((void *)p, lw.page, m->prot);
		errno = saved;
		return;
	}
	/* not ours: the handler before us, or the default (re-faults) */
	if (lw.old_segv.sa_flags & SA_SIGINFO &&
			lw.old_segv.sa_sigaction != NULL) {
		lw.old_segv.sa_sigaction(sig, si, uc);
	} else if (lw.old_segv.sa_handler != SIG_DFL &&
			lw.old_segv.sa_handler != SIG_IGN) {
		lw.old_segv.sa_handler(sig);
	} else {
		signal(sig, SIG_DFL);
	}
	errno = saved;
}

static void
forget_maps(uintptr_t start, uintptr_t end)
{
	for (size_t i = 0; i < lw.nmaps;) {
		struct lw_map *m = &lw.maps[i];
		if (m->start < end && start < m->end)
			lw.maps[i] = lw.maps[--lw.nmaps];
		else
			i++;
	}
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	RESOLVE(mmap);
	void *p = real_mmap(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED || lw.nlines == 0)
		return p;
	int saved = errno;
	forget_maps((uintptr_t)p, (uintptr_t)p + len);
	long file = (flags & MAP_ANONYMOUS) ? -1 : image_file(fd);
	if (file >= 0 && lw.nmaps == LW_MAPS_MAX) {
		log_unseen("more mappings of the image than libpmemu-lazy "
				"tracks");
	} else if (file >= 0) {
		struct lw_map *m = &lw.maps[lw.nmaps++];
		*m = (struct lw_map){ (uintptr_t)p, (uintptr_t)p + len,
			(uint32_t)file, (uint64_t)off, prot };
		protect(m, m->start, m->end);
	}
	errno = saved;
	return p;
}
void *mmap64(void *, size_t, int, int, int, off_t)
	__attribute__((alias("mmap")));

int
munmap(void *addr, size_t len)
{
	RESOLVE(munmap);
	forget_maps((uintptr_t)addr, (uintptr_t)addr + len);
	return real_munmap(addr, len);
}

/* mprotect -- the check's protection, with ours kept on unread lines */
int
mprotect(void *addr, size_t len, int prot)
{
	RESOLVE(mprotect);
	int ret = real_mprotect(addr, len, prot);
	struct lw_map *m = ret == 0 ? map_of((uintptr_t)addr) : NULL;
	if (m != NULL) {
		m->prot = prot;
		protect(m, (uintptr_t)addr, (uintptr_t)addr + len);
	}
	return ret;
}

/* CALLER -- the instruction that called us (a return address - 1) */
#define CALLER ((uintptr_t)__builtin_return_address(0) - 1)

static void
read_at(int fd, uint64_t off, size_t len, char kind, uintptr_t pc)
{
	int saved = errno;
	long file = lw.nlines ? image_file(fd) : -1;
	if (file >= 0 && len > 0)
		log_range((uint32_t)file, off, off + len, kind, pc);
	errno = saved;
}

size_t
lw_iov_len(const struct iovec *iov, int n)
{
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

off_t
lw_image_pos(int fd)
{
	int saved = errno;
	off_t at = lw.nlines && image_file(fd) >= 0 ?
		real_lseek(fd, 0, SEEK_CUR) : -1;
	errno = saved;
	return at;
}

/* read_here -- a read at fd's file position */
static void
read_here(int fd, size_t len, uintptr_t pc)
{
	off_t at = lw_image_pos(fd);
	if (at >= 0)
		read_at(fd, (uint64_t)at, len, 'R', pc);
}

/* the lines are decided before the bytes are read: the order of reads */
ssize_t
read(int fd, void *buf, size_t len)
{
	RESOLVE(read);
	read_here(fd, len, CALLER);
	return real_read(fd, buf, len);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	RESOLVE(pread);
	read_at(fd, (uint64_t)off, len, 'R', CALLER);
	return real_pread(fd, buf, len, off);
}
ssize_t pread64(int, void *, size_t, off_t) __attribute__((alias("pread")));

ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	RESOLVE(readv);
	read_here(fd, lw_iov_len(iov, n), CALLER);
	return real_readv(fd, iov, n);
}

ssize_t
preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	RESOLVE(preadv);
	read_at(fd, (uint64_t)off, lw_iov_len(iov, n), 'R', CALLER);
	return real_preadv(fd, iov, n, off);
}
ssize_t preadv64(int, const struct iovec *, int, off_t)
	__attribute__((alias("preadv")));

/* opened -- O_DIRECT bypasses the page cache but not us; we do not see
 * the reads it makes into buffers, so name it */
static int
opened(int fd, int flags)
{
	if (fd >= 0 && (flags & O_DIRECT) && image_file(fd) >= 0)
		log_unseen("the check opened the image with O_DIRECT");
	return fd;
}

int
open(const char *path, int flags, ...)
{
	RESOLVE(open);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return opened(real_open(path, flags, mode), flags);
}
int open64(const char *, int, ...) __attribute__((alias("open")));

int
openat(int dir, const char *path, int flags, ...)
{
	RESOLVE(openat);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return opened(real_openat(dir, path, flags, mode), flags);
}
int openat64(int, const char *, int, ...) __attribute__((alias("openat")));

/* stream -- stdio reads inside libc: every line of the file is read */
static FILE *
stream(FILE *f)
{
	long file = f && lw.nlines ? image_file(fileno(f)) : -1;
	if (file >= 0)
		log_range((uint32_t)file, 0, UINT64_MAX, 'P', 0);
	return f;
}

FILE *
fopen(const char *path, const char *mode)
{
	RESOLVE(fopen);
	return stream(real_fopen(path, mode));
}
FILE *fopen64(const char *, const char *) __attribute__((alias("fopen")));

FILE *
fdopen(int fd, const char *mode)
{
	RESOLVE(fdopen);
	return stream(real_fdopen(fd, mode));
}

/* exec_seen -- false if path cannot preload us (static, setuid) */
static bool
exec_seen(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd = real_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* execve fails, or a script: its interpreter */
	Elf64_Ehdr eh;
	bool seen = true;
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID))) {
		snprintf(why, whylen, "the check runs %s, a set-id program "
				"(no LD_PRELOAD)", path);
		seen = false;
	} else if (real_pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
			memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
			eh.e_ident[EI_CLASS] == ELFCLASS64) {
		bool interp = false;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (real_pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
					(uint64_t)i * eh.e_phentsize)) !=
					sizeof(ph))
				break;
			interp |= ph.p_type == PT_INTERP;
		}
		if (!interp) {
			snprintf(why, whylen, "the check runs %s, a static "
					"program (no LD_PRELOAD)", path);
			seen = false;
		}
	}
	close(fd);
	return seen;
}

int
execve(const char *path, char *const argv[], char *const envp[])
{
	RESOLVE(execve);
	char why[160];
	if (lw.nlines && !exec_seen(path, why, sizeof(why)))
		log_unseen(why);
	return real_execve(path, argv, envp);
}

/* load_spec -- the image files and undecided lines pmemu wrote */
static int
load_spec(const char *path)
{
	FILE *f = real_fopen(path, "re");
	if (f == NULL)
		return -1;
	char buf[4200];
	size_t cap = 0;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		struct stat st;
		unsigned file, len;
		unsigned long long off;
		if (buf[0] == 'F' && lw.nfiles < LW_FILES_MAX) {
			if (stat(buf + 2, &st) == 0) {
				lw.dev[lw.nfiles] = st.st_dev;
				lw.ino[lw.nfiles] = st.st_ino;
			}
			lw.nfiles++;
		} else if (sscanf(buf, "L %u %llx %u", &file, &off, &len) == 3) {
			if (lw.nlines == cap) {
				cap = cap ? cap * 2 : 256;
				lw.lines = realloc(lw.lines,
						cap * sizeof(*lw.lines));
				if (lw.lines == NULL)
					abort();
			}
			lw.lines[lw.nlines++] = (struct lw_line){ file, off,
				len };
		}
	}
	fclose(f);
	lw.seen = calloc(lw.nlines + 1, 1);
	return lw.seen ? 0 : -1;
}

__attribute__((constructor)) static void
lazy_watch_init(void)
{
	const char *on = getenv("PMEMU_LAZY"), *image = getenv("PMEMU_IMAGE");
	RESOLVE(mmap); RESOLVE(munmap); RESOLVE(mprotect); RESOLVE(read);
	RESOLVE(write);
	RESOLVE(pread); RESOLVE(readv); RESOLVE(preadv); RESOLVE(open);
	RESOLVE(openat); RESOLVE(fopen); RESOLVE(fdopen);
	RESOLVE(execve); RESOLVE(lseek);
	if (on == NULL || strcmp(on, "1") != 0 || image == NULL)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s.lazy-log", image);
	lw.log_fd = real_open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s.lazy-spec", image);
	if (lw.log_fd < 0 || load_spec(path) != 0) {
		lw.nlines = 0;
		return;
	}
	lw.page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &lw.old_segv);
}
