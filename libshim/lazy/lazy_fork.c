/*
 * lazy_fork.c -- libpmemu-lazy.so: the check forked at its first read of
 * an undecided line (`pmemu explore --explore lazy --lazy-fork=yes`,
 * docs/explore.md "Forking at the read")
 *
 * A run with undecided lines L1..Lk stands for them lost; pmemu checks
 * Lj = o (L1..Lj-1 lost) in a run of its own. Each such run repeats what
 * the check did before its read of Lj, so when pmemu asks for it (an "X
 * <timeout ms> <budget>" line in the spec, with each watched line's
 * contents: "P <d>" the run's, "C <d> <hex>" one per distinct content, d
 * pmemu's index of it), the run's first process (its root: the process
 * pmemu or the fork server started, the one that creates
 * <PMEMU_IMAGE>.lazy-wait) forks at that read instead. Per other content
 * of the bytes read, as pmemu would branch (lazy.c branch_read), it logs
 * "[ <w> <d> <known> <fresh>", copies the image files, forks a child that
 * writes the content into the image and returns from the read as the run
 * with Lj = o (its output to <PMEMU_IMAGE>.lazy-out-<pid>, its own process
 * group; it may fork again at its own later reads), waits for it (past
 * --check-timeout of its own time it kills it), logs "] <wait status>
 * <1: timed out> <pid, or - when it passed>", puts the image files back
 * as they were (their length, every page the child changed) and the file
 * positions of its descriptors, and goes on. pmemu takes each block as
 * the run it would have made (emulator/explore/lazy_fork.c).
 *
 * It does not fork (pmemu runs the branch as before) with a thread, with
 * a live child process, in a process the root exec'd or forked, with a
 * pipe or socket for stdin, when the line is mapped privately or the
 * process stored into it (or into an image file through a file call), or
 * past the budget. Runs in the fault handler: system calls only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lazy_fork.h"
#include "lazy_io.h"
#include "lazy_lines.h"
#include "lazy_step.h"
#include "lazy_wait.h"

#define LF_FILES_MAX 64
#define LF_FDS 64           /* descriptors whose position is put back */
#define LF_CHUNK (64u << 10) /* bytes compared at a time in a restore */
#define LF_ID_MAX 64        /* a line's part of a state id */
#define LF_STATE_MAX 8192   /* a state id */

struct lf_alts {
	uint32_t n, cap;
	long pick;          /* pmemu's index of the run's content, -1 */
	uint32_t *d;        /* pmemu's index of each content */
	uint8_t *bytes;     /* n contents of the line's length */
	char (*id)[LF_ID_MAX]; /* each one's part of the state id:
	                     * "<region>.<off>=<outcome>", "=-" lost */
};

static struct {
	bool on;
	uint64_t timeout_ns, budget;
	struct lf_alts *alt;
	size_t nalt;
	char *path[LF_FILES_MAX];
	int fd[LF_FILES_MAX];
	size_t nfiles;
	char image[4096];
	pid_t self;         /* the process that may fork */
	unsigned depth;     /* its nesting: 0 the root */
	struct lw_wait *w;
} lf;

/* a copy of the image files */
struct lf_snap {
	uint8_t *mem;
	size_t len;
	off_t size[LF_FILES_MAX];
};

static uint64_t
now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
		c - 'a' + 10 : -1;
}

/* add_alt -- content d of line ("<hex> <id part>") */
static void
add_alt(size_t line, unsigned long d, const char *hex)
{
	if (line == SIZE_MAX)
		return;
	uint32_t len = lw_line_at(line)->len;
	if (line >= lf.nalt) {
		struct lf_alts *a = realloc(lf.alt, (line + 1) * sizeof(*a));
		if (a == NULL)
			return;
		memset(a + lf.nalt, 0, (line + 1 - lf.nalt) * sizeof(*a));
		for (size_t i = lf.nalt; i <= line; i++)
			a[i].pick = -1;
		lf.alt = a;
		lf.nalt = line + 1;
	}
	struct lf_alts *a = &lf.alt[line];
	if (hex == NULL) {
		a->pick = (long)d;
		return;
	}
	const char *part = strchr(hex, ' ');
	if (part == NULL || part - hex != 2 * (ptrdiff_t)len ||
			strlen(part + 1) >= LF_ID_MAX)
		return;
	if (a->n == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 4;
		uint32_t *nd = realloc(a->d, cap * sizeof(*nd));
		if (nd != NULL)
			a->d = nd;
		uint8_t *nb = nd ? realloc(a->bytes, (size_t)cap * len) : NULL;
		if (nb != NULL)
			a->bytes = nb;
		char (*ni)[LF_ID_MAX] = nb ? realloc(a->id, cap * sizeof(*ni)) :
			NULL;
		if (ni == NULL)
			return;
		a->id = ni;
		a->cap = cap;
	}
	snprintf(a->id[a->n], LF_ID_MAX, "%s", part + 1);
	uint8_t *b = a->bytes + (size_t)a->n * len;
	for (uint32_t i = 0; i < len; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	a->d[a->n++] = (uint32_t)d;
}

bool
lf_spec(const char *buf, size_t line)
{
	unsigned long long t, budget;
	unsigned long d;
	int at = 0;
	if (sscanf(buf, "X %llu %llu", &t, &budget) == 2) {
		lf.on = true;
		lf.timeout_ns = t * 1000000ull;
		lf.budget = budget;
	} else if (sscanf(buf, "P %lu", &d) == 1) {
		add_alt(line, d, NULL);
	} else if (sscanf(buf, "C %lu %n", &d, &at) == 1 && at > 0) {
		add_alt(line, d, buf + at);
	} else {
		return false;
	}
	return true;
}

void
lf_file(const char *path)
{
	if (lf.nfiles < LF_FILES_MAX)
		lf.path[lf.nfiles] = strdup(path);
	lf.nfiles++;
}

void
lf_start(const char *image)
{
	if (!lf.on || lf.nfiles > LF_FILES_MAX ||
			strlen(image) + 16 > sizeof(lf.image))
		goto off;
	snprintf(lf.image, sizeof(lf.image), "%s", image);
	char path[4096 + 16];
	snprintf(path, sizeof(path), "%s.lazy-wait", image);
	/* the first process of the run creates it: the root */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto off;
	void *w = MAP_FAILED;
	if (ftruncate(fd, sizeof(struct lw_wait)) == 0)
		w = mmap(NULL, sizeof(struct lw_wait), PROT_READ | PROT_WRITE,
				MAP_SHARED, fd, 0);
	syscall(SYS_close, fd);
	if (w == MAP_FAILED)
		goto off;
	lf.w = w;
	for (size_t i = 0; i < lf.nfiles; i++) {
		lf.fd[i] = lf.path[i] == NULL ? -1 : (int)syscall(SYS_openat,
				AT_FDCWD, lf.path[i], O_RDWR | O_CLOEXEC);
		if (lf.fd[i] < 0)
			goto off;
	}
	lf.self = getpid();
	lf.w->lvl[0].pid = lf.self;
	return;
off:
	lf.on = false;
}

/* same -- contents a and b of a line agree on mask (lazy.c same_bytes) */
static bool
same(const uint8_t *a, const uint8_t *b, uint64_t mask, uint32_t len)
{
	if (len > 64)
		return memcmp(a, b, len) == 0;
	for (uint32_t i = 0; i < len; i++)
		if ((mask >> i & 1) && a[i] != b[i])
			return false;
	return true;
}

/* lone -- no thread, no live child, stdin not a pipe or socket */
static bool
lone(void)
{
	if (lw_step_threaded())
		return false;
	struct stat st;
	if (fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) ||
			S_ISSOCK(st.st_mode)))
		return false;
	char path[64], buf[16];
	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
			(long)syscall(SYS_gettid));
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	long n = syscall(SYS_read, fd, buf, sizeof(buf));
	syscall(SYS_close, fd);
	return n == 0;
}

/* io -- the whole of a pread (write: pwrite) of fd, raw (our hooks would
 * decide the lines it covers); 0 or -1 */
static int
io(bool write, int fd, void *buf, size_t len, off_t off)
{
	while (len > 0) {
		long n = syscall(write ? SYS_pwrite64 : SYS_pread64, fd, buf,
				len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return write || n < 0 ? -1 : (memset(buf, 0, len), 0);
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int
snapshot(struct lf_snap *s)
{
	struct stat st;
	s->len = 0;
	for (size_t i = 0; i < lf.nfiles; i++) {
		if (fstat(lf.fd[i], &st) != 0)
			return -1;
		s->size[i] = st.st_size;
		s->len += (size_t)st.st_size;
	}
	s->mem = mmap(NULL, s->len + 1, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->mem == MAP_FAILED)
		return -1;
	uint8_t *p = s->mem;
	for (size_t i = 0; i < lf.nfiles; p += s->size[i++])
		if (io(false, lf.fd[i], p, (size_t)s->size[i], 0) != 0) {
			munmap(s->mem, s->len + 1);
			return -1;
		}
	return 0;
}

/* restore -- the image files as in s: their length, each page changed */
static void
restore(const struct lf_snap *s)
{
	static uint8_t buf[LF_CHUNK];
	const uint8_t *p = s->mem;
	for (size_t i = 0; i < lf.nfiles; p += s->size[i++]) {
		struct stat st;
		if (fstat(lf.fd[i], &st) != 0 || st.st_size != s->size[i])
			if (ftruncate(lf.fd[i], s->size[i]) != 0)
				continue;
		for (off_t at = 0; at < s->size[i]; at += LF_CHUNK) {
			size_t n = s->size[i] - at < LF_CHUNK ?
				(size_t)(s->size[i] - at) : LF_CHUNK;
			if (io(false, lf.fd[i], buf, n, at) != 0)
				break;
			for (size_t pg = 0; pg < n; pg += 4096) {
				size_t m = n - pg < 4096 ? n - pg : 4096;
				if (memcmp(buf + pg, p + at + pg, m) != 0)
					io(true, lf.fd[i], (void *)(p + at + pg),
						m, at + (off_t)pg);
			}
		}
	}
}

/* record -- one record of the read log (formatted) */
static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
record(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf))
		lw_log_record(buf, (size_t)n);
}

/* own_output -- the child's stdout and stderr to a file of its own,
 * holding what the run printed so far */
static void
own_output(void)
{
	char path[4096 + 48];
	snprintf(path, sizeof(path), "%s.lazy-out-%ld", lf.image,
			(long)getpid());
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY |
			O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct stat o1, o2;
	bool one = fstat(1, &o1) == 0, two = fstat(2, &o2) == 0;
	off_t end = one && S_ISREG(o1.st_mode) ?
		(off_t)syscall(SYS_lseek, 1, 0, SEEK_CUR) : 0;
	static uint8_t buf[4096];
	for (off_t at = 0; at < end; at += sizeof(buf)) {
		size_t n = end - at < (off_t)sizeof(buf) ? (size_t)(end - at) :
			sizeof(buf);
		if (io(false, 1, buf, n, at) != 0 || io(true, fd, buf, n, at))
			break;
	}
	syscall(SYS_lseek, fd, end, SEEK_SET);
	if (one)
		dup2(fd, 1);
	if (two && (!one || (o1.st_dev == o2.st_dev &&
			o1.st_ino == o2.st_ino)))
		dup2(fd, 2);
	syscall(SYS_close, fd);
}

/* an image file's descriptor of the check (its open file description
 * is the parent's too: its flock, its position) */
struct lf_fd {
	int fd;
	int lock;           /* LOCK_EX, LOCK_SH: its flock, 0 none */
	long file;
};

/* image_fds -- the check's descriptors of image files (at most LF_FDS)
 * and their flocks, into v; their count */
static size_t
image_fds(struct lf_fd *v)
{
	size_t n = 0;
	char path[64], buf[1024];
	for (int fd = 0; fd < LF_FDS; fd++) {
		long file = lw_image_file(fd);
		if (file < 0 || fd == lf.fd[file])
			continue;
		v[n] = (struct lf_fd){ fd, 0, file };
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		int in = (int)syscall(SYS_openat, AT_FDCWD, path,
				O_RDONLY | O_CLOEXEC);
		long len = in < 0 ? -1 :
			syscall(SYS_read, in, buf, sizeof(buf) - 1);
		if (in >= 0)
			syscall(SYS_close, in);
		buf[len > 0 ? len : 0] = '\0';
		const char *l = strstr(buf, "FLOCK");
		if (l != NULL)
			v[n].lock = strstr(l, "WRITE") ? LOCK_EX : LOCK_SH;
		n++;
	}
	return n;
}

/* own_fds -- the child's image descriptors on open file descriptions
 * of its own, as the parent's were (position, flags, flock): what it
 * closes, seeks or unlocks does not touch the parent's, and a program it
 * runs can lock the file as in a run of its own */
static void
own_fds(const struct lf_fd *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fl = fcntl(v[i].fd, F_GETFL), fdfl = fcntl(v[i].fd, F_GETFD);
		off_t at = (off_t)syscall(SYS_lseek, v[i].fd, 0, SEEK_CUR);
		int nfd = fl < 0 || lf.path[v[i].file] == NULL ? -1 :
			(int)syscall(SYS_openat, AT_FDCWD, lf.path[v[i].file],
				fl & ~(O_CREAT | O_EXCL | O_TRUNC), 0);
		if (nfd < 0)
			_exit(126);
		if (at > 0)
			syscall(SYS_lseek, nfd, at, SEEK_SET);
		dup3(nfd, v[i].fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0);
		syscall(SYS_close, nfd);
		if (v[i].lock && flock(v[i].fd, v[i].lock | LOCK_NB) != 0)
			_exit(126);
	}
}

/* lock_fds -- the parent's flocks off (lock false) or back on */
static void
lock_fds(const struct lf_fd *v, size_t n, bool lock)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].lock)
			flock(v[i].fd, lock ? v[i].lock | LOCK_NB : LOCK_UN);
}

/* id_key -- the line a part of a state id names, "<region>.<off hex>" */
static bool
id_key(const char *part, unsigned long long *region, unsigned long long *off)
{
	return sscanf(part, "%llu.%llx=", region, off) == 2;
}

/* own_state -- PMEMU_STATE of the run with part (of its id) for its
 * line: the parts in the order of their lines (stateid.c), "=-" none */
static void
own_state(const char *part)
{
	static char id[LF_STATE_MAX];
	const char *cur = getenv("PMEMU_STATE");
	unsigned long long r, o, pr, po;
	if (cur == NULL || !id_key(part, &pr, &po))
		return;
	bool lost = strstr(part, "=-") != NULL, put = lost;
	const char *p = strchr(cur, ':');
	size_t n = p ? (size_t)(p - cur) : strlen(cur), at = n;
	if (n >= sizeof(id))
		return;
	memcpy(id, cur, n);
	char sep = ':';
	while (p != NULL) {
		const char *q = p + 1, *end = strchr(q, ',');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		p = end;
		bool ok = id_key(q, &r, &o);
		if (!put && (!ok || r > pr || (r == pr && o > po))) {
			at += (size_t)snprintf(id + at, sizeof(id) - at, "%c%s",
					sep, part);
			sep = ',';
			put = true;
		}
		if (ok && r == pr && o == po)
			continue;
		at += (size_t)snprintf(id + at, sizeof(id) - at, "%c%.*s", sep,
				(int)len, q);
		sep = ',';
		if (at >= sizeof(id))
			return;
	}
	if (!put)
		at += (size_t)snprintf(id + at, sizeof(id) - at, "%c%s", sep,
				part);
	if (at < sizeof(id))
		setenv("PMEMU_STATE", id, 1);
}

/* child -- the run with line i holding content a: back to the read */
static void
child(size_t i, uint32_t a, pid_t parent, const struct lf_fd *v, size_t nv,
		const sigset_t *mask)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	setpgid(0, 0); /* its subtree: a timeout kills its group */
	lf.self = getpid();
	lf.depth++;
	lf.w->lvl[lf.depth].pid = lf.self;
	own_fds(v, nv);
	own_output();
	const struct lw_line *l = lw_line_at(i);
	if (io(true, lf.fd[l->file], lf.alt[i].bytes + (size_t)a * l->len,
			l->len, (off_t)l->off) != 0)
		_exit(126);
	own_state(lf.alt[i].id[a]);
	lw_lines_forked();
	sigprocmask(SIG_SETMASK, mask, NULL);
}

/* wait_for -- child c's wait status, killing it (its group and those
 * below it) past the timeout of its own time: late */
static int
wait_for(pid_t c, bool *late)
{
	int pfd = (int)syscall(SYS_pidfd_open, c, 0), st = 0;
	uint64_t start = now_ns();
	const struct lw_wait_level *below = &lf.w->lvl[lf.depth + 1];
	*late = false;
	while (pfd >= 0 && lf.timeout_ns > 0) {
		uint64_t now = now_ns(), waited = lw_wait_ns(below, now);
		uint64_t used = now - start > waited ? now - start - waited : 0;
		if (used >= lf.timeout_ns) {
			for (unsigned d = lf.depth + 1; d < LW_WAIT_DEPTH &&
					lf.w->lvl[d].pid != 0; d++)
				kill(-lf.w->lvl[d].pid, SIGKILL);
			kill(c, SIGKILL);
			*late = true;
			break;
		}
		struct pollfd p = { pfd, POLLIN, 0 };
		if (poll(&p, 1, (int)((lf.timeout_ns - used) / 1000000) + 1) > 0)
			break;
	}
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (pfd >= 0)
		syscall(SYS_close, pfd);
	return st;
}

/* fork_plain -- fork without the atfork handlers (_Fork: safe in the
 * fault handler; libshim/fork/fork_server.c) */
static pid_t
fork_plain(void)
{
	static pid_t (*raw)(void);
	if (raw == NULL)
		raw = (pid_t (*)(void))dlsym(RTLD_DEFAULT, "_Fork");
	return raw != NULL ? raw() : (pid_t)syscall(SYS_fork);
}

/* branches -- the contents of line i to fork for (into pick): the first
 * of each other content of the fresh bytes among those that agree with
 * the run's on the known ones (lazy.c branch_read); their count */
static size_t
branches(size_t i, uint64_t known, uint64_t fresh, uint32_t *pick)
{
	const struct lf_alts *a = &lf.alt[i];
	uint32_t len = lw_line_at(i)->len, n = 0;
	const uint8_t *run = NULL;
	for (uint32_t k = 0; k < a->n; k++)
		if ((long)a->d[k] == a->pick)
			run = a->bytes + (size_t)k * len;
	for (uint32_t k = 0; run != NULL && k < a->n; k++) {
		const uint8_t *c = a->bytes + (size_t)k * len;
		if (!same(c, run, known, len) || same(c, run, fresh, len))
			continue;
		bool first = true;
		for (uint32_t p = 0; p < k && first; p++) {
			const uint8_t *q = a->bytes + (size_t)p * len;
			first = !same(q, run, known, len) ||
				!same(q, c, fresh, len);
		}
		if (first)
			pick[n++] = k;
	}
	return n;
}

void
lf_branch(size_t i, uint64_t known, uint64_t fresh)
{
	if (!lf.on || i >= lf.nalt || lf.alt[i].n < 2 || getpid() != lf.self ||
			lf.depth + 2 >= LW_WAIT_DEPTH || lf.w->forks >= lf.budget)
		return;
	const struct lw_line *l = lw_line_at(i);
	if (lw_line_written(i) != 0 || lw_file_stored() ||
			lw_private_mapped(l->file, l->off, l->off + l->len) ||
			!lone())
		return;
	uint32_t pick[lf.alt[i].n];
	size_t n = branches(i, known, fresh, pick);
	struct lf_snap s;
	if (n == 0 || snapshot(&s) != 0)
		return;
	int saved = errno;
	off_t pos[LF_FDS];
	for (int fd = 0; fd < LF_FDS; fd++)
		pos[fd] = (off_t)syscall(SYS_lseek, fd, 0, SEEK_CUR);
	struct lf_fd fds[LF_FDS];
	size_t nfds = image_fds(fds);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	struct lw_wait_level *me = &lf.w->lvl[lf.depth];
	struct lw_wait_level *below = &lf.w->lvl[lf.depth + 1];
	uint64_t t0 = now_ns();
	__atomic_store_n(&me->since_ns, t0, __ATOMIC_SEQ_CST);
	pid_t self = getpid();
	for (size_t k = 0; k < n && lf.w->forks < lf.budget; k++) {
		record("[ %zu %u %llx %llx\n", i, lf.alt[i].d[pick[k]],
			(unsigned long long)known, (unsigned long long)fresh);
		*below = (struct lw_wait_level){ 0, 0, 0, 0 };
		lf.w->forks++;
		lock_fds(fds, nfds, false);
		pid_t c = fork_plain();
		if (c == 0) {
			munmap(s.mem, s.len + 1);
			child(i, pick[k], self, fds, nfds, &old);
			errno = saved;
			return;
		}
		if (c < 0) {
			lock_fds(fds, nfds, true);
			record("] F\n");
			break;
		}
		bool late;
		int st = wait_for(c, &late);
		for (unsigned d = lf.depth + 1; d < LW_WAIT_DEPTH &&
				lf.w->lvl[d].pid != 0; d++)
			lf.w->lvl[d].pid = 0;
		restore(&s);
		lock_fds(fds, nfds, true);
		for (int fd = 0; fd < LF_FDS; fd++)
			if (pos[fd] >= 0)
				syscall(SYS_lseek, fd, pos[fd], SEEK_SET);
		bool pass = !late && WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (pass) {
			char path[4096 + 48];
			snprintf(path, sizeof(path), "%s.lazy-out-%ld",
					lf.image, (long)c);
			syscall(SYS_unlinkat, AT_FDCWD, path, 0);
			record("] %d 0 -\n", st);
		} else {
			record("] %d %d %ld\n", st, late, (long)c);
		}
	}
	__atomic_store_n(&me->waited_ns, me->waited_ns + (now_ns() - t0),
			__ATOMIC_SEQ_CST);
	__atomic_store_n(&me->since_ns, 0, __ATOMIC_SEQ_CST);
	munmap(s.mem, s.len + 1);
	/* the SIGCHLD of the children: no child of the check's */
	struct timespec zero = { 0, 0 };
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}
