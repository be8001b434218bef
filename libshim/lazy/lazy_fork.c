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
 * past the budget. Runs in the fault handler: system calls and
 * snprintf, and setenv in the child after the fork (lazy_fork_proc.c).
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lazy_branch.h"
#include "lazy_fork.h"
#include "lazy_io.h"
#include "lazy_lines.h"
#include "lazy_step.h"
#include "lazy_fork_proc.h"

#define LF_ID_MAX 64        /* a line's part of a state id */

struct lf_alts {
	uint32_t n, cap, len;
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
	pid_t self;         /* the process that may fork */
	unsigned depth;     /* its nesting: 0 the root */
} lf;

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
	a->len = len;
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
	if (!lf.on)
		return; /* no allocation in a served child then: the spec's
			 * "X" line comes first (emulator/explore/lazy_spec.c) */
	if (lfp.nfiles < LF_FILES_MAX)
		lfp.path[lfp.nfiles] = strdup(path);
	lfp.nfiles++;
}

void
lf_start(const char *image)
{
	if (!lf.on || lfp.nfiles > LF_FILES_MAX ||
			strlen(image) + 16 > sizeof(lfp.image))
		goto off;
	snprintf(lfp.image, sizeof(lfp.image), "%s", image);
	/* a child is waited for by its pidfd: past the timeout it is
	 * killed (else the root's wait, not its own time, never ends) */
	int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pfd < 0 && lf.timeout_ns > 0)
		goto off;
	if (pfd >= 0)
		syscall(SYS_close, pfd);
	if (lf_wait_create() != 0)
		goto off;
	if (lf_open_files() != 0)
		goto off;
	lf.self = getpid();
	lf_wait_set(0, &(struct lw_wait_level){ 0, 0, lf.self, 0 });
	return;
off:
	lf.on = false;
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

/* child -- the run with line i holding content a: back to the read */
static void
child(size_t i, uint32_t a, pid_t parent, const struct lf_fd *v, size_t nv,
		const sigset_t *mask)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* its parent is gone: no one reads its verdict */
	setpgid(0, 0); /* its subtree: a timeout kills its group */
	lf.self = getpid();
	lf.depth++;
	lf_wait_set(lf.depth, &(struct lw_wait_level){ 0, 0, lf.self, 0 });
	const struct lw_line *l = lw_line_at(i);
	if (lf_own_fds(v, nv) != 0 || lf_io(true, lfp.fd[l->file],
			lf.alt[i].bytes + (size_t)a * l->len, l->len,
			(off_t)l->off) != 0) {
		/* not the run: the parent says so, pmemu makes it */
		lf_wait_set(lf.depth, &(struct lw_wait_level){ 0, 0, lf.self,
				1 });
		_exit(126);
	}
	lf_own_output();
	lf_own_state(lf.alt[i].id[a]);
	lw_lines_forked();
	sigprocmask(SIG_SETMASK, mask, NULL);
}

/* kill_below -- the processes below this one (their groups) */
static void
kill_below(void)
{
	for (unsigned d = lf.depth + 1; d < LW_WAIT_DEPTH; d++) {
		struct lw_wait_level l = lf_wait_level(d);
		if (l.pid == 0)
			break;
		kill(-l.pid, SIGKILL);
		kill(l.pid, SIGKILL);
	}
}

/* wait_for -- child c's wait status, killing it (its group and those
 * below it) past the timeout of its own time: late; broken: it could
 * not become the run */
static int
wait_for(pid_t c, bool *late, bool *broken)
{
	int pfd = (int)syscall(SYS_pidfd_open, c, 0), st = 0;
	uint64_t start = now_ns();
	*late = false;
	while (pfd >= 0 && lf.timeout_ns > 0) {
		struct lw_wait_level below = lf_wait_level(lf.depth + 1);
		uint64_t now = now_ns(), waited = lw_wait_ns(&below, now);
		uint64_t used = now - start > waited ? now - start - waited : 0;
		if (used >= lf.timeout_ns) {
			kill_below();
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
	*broken = lf_wait_level(lf.depth + 1).broken != 0;
	/* the levels below are done */
	for (unsigned d = lf.depth + 1; d < LW_WAIT_DEPTH &&
			lf_wait_level(d).pid != 0; d++)
		lf_wait_set(d, &(struct lw_wait_level){ 0, 0, 0, 0 });
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

/* alt_content -- content k of a line's lf_alts (ctx) */
static const uint8_t *
alt_content(const void *ctx, size_t k)
{
	const struct lf_alts *a = ctx;
	return a->bytes + k * a->len;
}

/* branches -- the contents of line i to fork for (into pick), as pmemu
 * branches (lazy_branch.h); their count */
static size_t
branches(size_t i, uint64_t known, uint64_t fresh, uint32_t *pick)
{
	const struct lf_alts *a = &lf.alt[i];
	uint32_t n = 0;
	const uint8_t *run = NULL;
	for (uint32_t k = 0; k < a->n; k++)
		if ((long)a->d[k] == a->pick)
			run = alt_content(a, k);
	for (uint32_t k = 0; run != NULL && k < a->n; k++)
		if (lw_is_branch(alt_content, a, k, run, known, fresh, a->len))
			pick[n++] = k;
	return n;
}

/* fork_each -- a child per content pick[0..n) of line i, each waited
 * for and the image put back after it; returns in each child too */
static void
fork_each(size_t i, uint64_t known, uint64_t fresh, const uint32_t *pick,
		size_t n, struct lf_snap *s)
{
	off_t pos[LF_FDS];
	for (int fd = 0; fd < LF_FDS; fd++)
		pos[fd] = (off_t)syscall(SYS_lseek, fd, 0, SEEK_CUR);
	static struct lf_fd fds[LF_FDS]; /* one fork point per process */
	size_t nfds = lf_image_fds(fds);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	struct lw_wait_level me = lf_wait_level(lf.depth);
	uint64_t t0 = now_ns();
	me.since_ns = t0;
	lf_wait_set(lf.depth, &me);
	pid_t self = getpid();
	for (size_t k = 0; k < n && lf_wait_forks(false) < lf.budget; k++) {
		record("[ %zu %u %llx %llx\n", i, lf.alt[i].d[pick[k]],
			(unsigned long long)known, (unsigned long long)fresh);
		lf_wait_set(lf.depth + 1, &(struct lw_wait_level){ 0, 0, 0, 0 });
		lf_wait_forks(true);
		lf_lock_fds(fds, nfds, false);
		pid_t c = fork_plain();
		if (c == 0) {
			lf_snap_free(s, true);
			child(i, pick[k], self, fds, nfds, &old);
			return;
		}
		if (c < 0) {
			lf_lock_fds(fds, nfds, true);
			record("] F\n");
			break;
		}
		bool late, broken;
		int st = wait_for(c, &late, &broken);
		lf_restore(s);
		lf_lock_fds(fds, nfds, true);
		for (int fd = 0; fd < LF_FDS; fd++)
			if (pos[fd] >= 0)
				syscall(SYS_lseek, fd, pos[fd], SEEK_SET);
		if (broken) {
			record("] F\n");
		} else if (!late && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			char path[sizeof(lfp.image) + 48];
			snprintf(path, sizeof(path), "%s.lazy-out-%ld",
					lfp.image, (long)c);
			syscall(SYS_unlinkat, AT_FDCWD, path, 0);
			record("] %d 0 -\n", st);
		} else {
			record("] %d %d %ld\n", st, late, (long)c);
		}
	}
	me.waited_ns += now_ns() - t0;
	me.since_ns = 0;
	lf_wait_set(lf.depth, &me);
	lf_snap_free(s, false);
	/* the SIGCHLD of the children: no child of the check's (lone) */
	struct timespec zero = { 0, 0 };
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
lf_branch(size_t i, uint64_t known, uint64_t fresh)
{
	if (!lf.on || i >= lf.nalt || lf.alt[i].n < 2 || getpid() != lf.self ||
			lf.depth + 2 >= LW_WAIT_DEPTH ||
			lf_wait_forks(false) >= lf.budget)
		return;
	const struct lw_line *l = lw_line_at(i);
	if (lw_line_written(i) != 0 || lw_file_stored() ||
			lw_private_mapped(l->file, l->off, l->off + l->len) ||
			!lone() || !lf_fds_ours())
		return;
	int saved = errno;
	uint32_t pick[lf.alt[i].n];
	size_t n = branches(i, known, fresh, pick);
	static struct lf_snap s; /* not on the stack: a handler's */
	if (n > 0 && lf_snapshot(&s) == 0)
		fork_each(i, known, fresh, pick, n, &s);
	errno = saved;
}
