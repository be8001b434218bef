/*
 * lazy_watch.c -- libpmemu-lazy.so: which undecided lines of a crash image
 * a check reads, in order (`pmemu explore --explore lazy`, docs/explore.md)
 *
 * pmemu writes <PMEMU_IMAGE>.lazy-spec (PMEMU_IMAGE: the image directory):
 *   F <path>                  an image file (index = order)
 *   L <file> <off> <len> <mask> <branches>  a line not decided whole
 *                             (index = order), sorted; mask: its bytes an
 *                             earlier run read (decided), hex; branches:
 *                             the runs a read of its other bytes would
 *                             start (capped: lazy_step.c's hot pages)
 * and reads the log's records (emulator/explore/lazy_spec.c): "L <index>
 * <how> <where>" how a process first touched a line, "B <index> <mask>"
 * the bytes of it a read took that the process had neither read nor
 * stored, "O <index>" the process stored the rest of it, "U <why>".
 * Every process of the check preloads this library (LD_PRELOAD, with
 * PMEMU_LAZY=1). It protects the pages of watched lines in every mapping
 * of an image file and appends records to <PMEMU_IMAGE>.lazy-log at each
 * access to their unknown bytes: a fault decides the bytes the faulting
 * instruction touches (lazy_step.c steps it alone on the page; where it
 * cannot, every undecided line of the page); a line the check stores whole
 * through a shared mapping before reading it is logged "O" (overwritten:
 * never enumerated); read/pread/readv/preadv decide the bytes they cover;
 * a stdio stream on an image file decides all of them (its reads are
 * libc-internal); a system call given a buffer in the image (write from
 * it, read into it) touches the lines of the buffer. A
 * path this library cannot see -- O_DIRECT, a kernel-side copy
 * (copy_file_range, sendfile, splice: lazy_io.c), a static or setuid
 * program exec'd -- appends "U <why>\n", and pmemu explores that crash
 * point eagerly. Each "L" record says how the line was first touched and
 * where (lazy_where.h): a read, a store (a write fault, or write/pwrite
 * covering it: lazy_io.c), or decided with its page.
 *
 * Only observes: the image holds the lines' durable content; pmemu decides
 * another outcome of a read line in another run. No allocation after the
 * constructor but the decoder's, at the first mapping of an image file
 * (lazy_decoder.c); the fault handler only writes and mprotects.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lazy_decoder.h"
#include "lazy_fork.h"
#include "lazy_io.h"
#include "lazy_lines.h"
#include "lazy_step.h"
#include "lazy_where.h"

#define LW_FILES_MAX 64
#define LW_MAPS_MAX 256
struct lw_map {
	uintptr_t start, end;
	uint32_t file;
	uint64_t off;
	int prot;
	bool shared;  /* MAP_SHARED: its stores reach the file */
};

static struct {
	dev_t dev[LW_FILES_MAX];
	ino_t ino[LW_FILES_MAX];
	size_t nfiles;
	struct lw_map maps[LW_MAPS_MAX];
	size_t nmaps;
	uintptr_t page;
	struct sigaction old_segv;
} lw;

REAL_DECL(void *, mmap, void *, size_t, int, int, int, off_t);
REAL_DECL(int, munmap, void *, size_t);
REAL_DECL(int, mprotect, void *, size_t, int);
REAL_DECL(int, open, const char *, int, ...);

/* image_file -- the index of the image file fd is open on, or -1 */
static long
image_file(int fd);

long
lw_image_file(int fd)
{
	return image_file(fd);
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
	for (size_t i = lw_first_line(m->file, off); i < lw_lines_count() &&
			lw_line_at(i)->file == m->file; i++) {
		const struct lw_line *l = lw_line_at(i);
		uintptr_t a = m->start + (l->off - m->off);
		if (l->off < m->off)
			continue;
		if (a >= to)
			break;
		if (!lw_line_watched(i))
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

/* close_page -- after a stepped instruction: protect what of page is
 * still undecided (lazy_step.c) */
static void
close_page(uintptr_t page)
{
	struct lw_map *m = map_of(page);
	if (m != NULL) {
		lw_overwritten(m->file, m->off + (page - m->start),
				m->off + (page + lw.page - m->start));
		protect(m, page, page + lw.page);
	}
}

/* on_fault -- a protected page: the lines the instruction touches are
 * read now (the page's others too when it cannot be stepped); a second
 * fault on a page opened for the step is the program's own */
static void
on_fault(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct lw_map *m = map_of(addr);
	uintptr_t p = addr & ~(lw.page - 1);
	if (m != NULL && !lw_step_is_open(p)) {
		uint64_t off = m->off + (p - m->start);
		uint64_t at = m->off + (addr - m->start);
		bool store;
		uintptr_t pc = lw_step_pc(lw_fault_pc(uc, &store));
		uintptr_t lo[4], hi[4];
		bool wrote[4];
		size_t n = lw_step_open(uc, p, addr, lo, hi, wrote, 4,
				lw_lines_branches(m->file, off, off + lw.page));
		/* the touched lines of the page first; else all of them */
		for (size_t i = 0; i < n; i++) {
			uintptr_t a = lo[i] > p ? lo[i] : p;
			uintptr_t b = hi[i] < p + lw.page ? hi[i] : p + lw.page;
			if (a < b)
				lw_touch(m->file, m->shared,
					m->off + (a - m->start),
					m->off + (b - m->start), wrote[i], pc);
		}
		if (n == 0) {
			lw_read_range(m->file, at, at + 1, store ? 'W' : 'R',
					pc);
			lw_read_range(m->file, off, off + lw.page, 'P', pc);
		}
		real_mprotect((void *)p, lw.page, m->prot);
		if (n > 0)
			lw_step_run(uc, m->prot);
		errno = saved;
		return;
	}
	if (lw_step_give_back(uc)) {
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

bool
lw_private_mapped(uint32_t file, uint64_t a, uint64_t b)
{
	for (size_t i = 0; i < lw.nmaps; i++) {
		const struct lw_map *m = &lw.maps[i];
		if (m->file == file && !m->shared && m->off < b &&
				a < m->off + (m->end - m->start))
			return true;
	}
	return false;
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
	if (p == MAP_FAILED || !lw_watching())
		return p;
	int saved = errno;
	forget_maps((uintptr_t)p, (uintptr_t)p + len);
	long file = (flags & MAP_ANONYMOUS) ? -1 : image_file(fd);
	if (file >= 0 && lw.nmaps == LW_MAPS_MAX) {
		lw_log_unseen("more mappings of the image than libpmemu-lazy "
				"tracks");
	} else if (file >= 0) {
		lw_step_arm(); /* capstone, at the first mapping */
		struct lw_map *m = &lw.maps[lw.nmaps++];
		*m = (struct lw_map){ (uintptr_t)p, (uintptr_t)p + len,
			(uint32_t)file, (uint64_t)off, prot,
			(flags & MAP_TYPE) == MAP_SHARED };
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

/* buffer_pages -- [a, b) of map m, widened to whole pages */
static void
buffer_pages(const struct lw_map *m, uintptr_t a, uintptr_t b,
		uintptr_t *p, uintptr_t *e)
{
	*p = (a > m->start ? a : m->start) & ~(lw.page - 1);
	*e = ((b < m->end ? b : m->end) + lw.page - 1) & ~(lw.page - 1);
}

void
lw_buffer_begin(const void *buf, size_t len, bool store, uintptr_t pc)
{
	uintptr_t a = (uintptr_t)buf, b = a + len, p, e;
	int saved = errno;
	bool step = lw_step_on();
	for (size_t i = 0; i < lw.nmaps && len > 0; i++) {
		const struct lw_map *m = &lw.maps[i];
		if (b <= m->start || a >= m->end)
			continue;
		buffer_pages(m, a, b, &p, &e);
		uint64_t x = m->off + ((a > m->start ? a : m->start) - m->start);
		uint64_t y = m->off + ((b < m->end ? b : m->end) - m->start);
		if (!step) /* threads: the pages stay open, decided whole */
			lw_read_range(m->file, m->off + (p - m->start),
					m->off + (e - m->start), 'P', pc);
		else if (store) /* the call may store less than len */
			lw_read_range(m->file, x, y, 'W', pc);
		else
			lw_touch(m->file, m->shared, x, y, false, pc);
		real_mprotect((void *)p, e - p, m->prot);
	}
	errno = saved;
}

void
lw_buffer_end(const void *buf, size_t len)
{
	uintptr_t a = (uintptr_t)buf, b = a + len, p, e;
	int saved = errno;
	for (size_t i = 0; i < lw.nmaps && len > 0; i++) {
		const struct lw_map *m = &lw.maps[i];
		if (b <= m->start || a >= m->end)
			continue;
		buffer_pages(m, a, b, &p, &e);
		protect(m, p, e);
	}
	errno = saved;
}

void
lw_iov_begin(const struct iovec *iov, int n, bool store, uintptr_t pc)
{
	for (int i = 0; i < n; i++)
		lw_buffer_begin(iov[i].iov_base, iov[i].iov_len, store, pc);
}

void
lw_iov_end(const struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++)
		lw_buffer_end(iov[i].iov_base, iov[i].iov_len);
}

/* number -- the number (base 10 or 16) at *p, past the spaces before
 * it; *p moves past it; false when there is none */
static bool
number(const char **p, int base, unsigned long long *v)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	unsigned long long n = 0;
	const char *from = s;
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			-1;
		if (d < 0)
			break;
		n = n * (unsigned)base + (unsigned)d;
	}
	*p = s;
	*v = n;
	return s != from;
}

/* spec_line -- one line of the spec, NUL-terminated */
static void
spec_line(const char *buf)
{
	struct stat st;
	unsigned long long file, off, len, known = 0, branches = 1;
	const char *p = buf + 1;
	if (buf[0] == 'F' && buf[1] == ' ' && lw.nfiles < LW_FILES_MAX) {
		/* the system call: libpmemu-fork.so's stat would resolve
		 * libc's in each served child */
		if (syscall(SYS_newfstatat, AT_FDCWD, buf + 2, &st, 0) == 0) {
			lw.dev[lw.nfiles] = st.st_dev;
			lw.ino[lw.nfiles] = st.st_ino;
		}
		lw.nfiles++;
		lf_file(buf + 2);
	} else if (buf[0] == 'L' && number(&p, 10, &file) &&
			number(&p, 16, &off) && number(&p, 10, &len)) {
		if (!number(&p, 16, &known))
			known = 0;
		if (!number(&p, 10, &branches) || branches == 0)
			branches = 1;
		lw_line_add(&(struct lw_line){ (uint32_t)file, off,
			(uint32_t)len, known, (unsigned)branches });
	} else if (buf[0] == 'X' || buf[0] == 'P' || buf[0] == 'C') {
		lf_spec(buf, lw_lines_count() - 1); /* --lazy-fork on only */
	}
}

/* load_spec -- the image files and undecided lines pmemu wrote; read(2)
 * and parsed here, not by stdio: a served child runs this per run, and
 * stdio's and scanf's code and buffers were page faults of each */
static int
load_spec(const char *path)
{
	int fd = real_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[4200];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf[have] = '\0';
			if (have > 0)
				spec_line(buf); /* a last line without \n */
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			*nl = '\0';
			spec_line(line);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than any pmemu writes */
		memmove(buf, line, have);
	}
	close(fd);
	return 0;
}

/* start -- the run's spec and read log, the fault handlers: in the
 * constructor, or in a child of the fork server (lazy_watch_init) */
static void
start(void)
{
	const char *on = getenv("PMEMU_LAZY"), *image = getenv("PMEMU_IMAGE");
	if (on == NULL || strcmp(on, "1") != 0 || image == NULL)
		return;
	char path[4096];
	size_t len = strlen(image);
	if (len + sizeof(".lazy-spec") > sizeof(path))
		return;
	memcpy(path, image, len); /* not snprintf: its code faults per child */
	memcpy(path + len, ".lazy-log", sizeof(".lazy-log"));
	int log_fd = real_open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	memcpy(path + len, ".lazy-spec", sizeof(".lazy-spec"));
	if (log_fd < 0 || load_spec(path) != 0 || lw_lines_ready(log_fd) != 0)
		return;
	lw.page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &lw.old_segv);
	lw_step_init(close_page);
	lf_start(image);
}

/* lazy_watch_init -- under libpmemu-fork.so too (LD_PRELOAD=
 * libpmemu-fork.so:libpmemu-lazy.so, docs/explore.md "The fork server"),
 * a process that may serve starts in each served child, after the fork:
 * nothing of a run (its spec, its read log, a protected page) is in the
 * server. Its PMEMU_ variables are not read here: that would stop it
 * serving (libshim/fork/fork_env.c). A server sets malloc up here, once
 * for all its children, and loads the decoder before a fork once a child
 * needed it (a word shared with its children, lazy_decoder.c); any other
 * process at its first mapping of an image file. */
__attribute__((constructor)) static void
lazy_watch_init(void)
{
	RESOLVE(mmap); RESOLVE(munmap); RESOLVE(mprotect); RESOLVE(open);
	lw_lines_resolve();
	lw_step_resolve();
	int (*defer)(void (*)(void)) = (int (*)(void (*)(void)))dlsym(
			RTLD_DEFAULT, "__pmemu_fork_defer");
	void (*before)(void (*)(void)) = (void (*)(void (*)(void)))dlsym(
			RTLD_DEFAULT, "__pmemu_fork_before");
	if (defer == NULL || !defer(start)) {
		start();
		return;
	}
	lw_read_resolve(); /* dlsym here, not in each served child */
	lw_io_resolve();
	lw_out_resolve();
	void *word = real_mmap(NULL, sizeof(int), PROT_READ,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED || before == NULL)
		lw_decoder_load(); /* for all children, as before */
	else {
		lw_decoder_share(word);
		before(lw_decoder_before_fork);
	}
	free(malloc(1)); /* malloc's set-up too, not per child */
}
