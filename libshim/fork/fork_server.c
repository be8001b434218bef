/*
 * fork_server.c -- libpmemu-fork.so: an exec'd check that becomes a fork
 * server at its first access to the image (docs/explore.md, "The fork
 * server")
 *
 * The slot's runner (emulator/explore/check_fork.c) spawns the check with
 * LD_PRELOAD=libpmemu-fork.so and PMEMU_FORK_FD, a SOCK_SEQPACKET socket.
 * The constructor says "H <pid>". At the first access to the image (a
 * path under PMEMU_IMAGE: fork_hooks.c; a read of a PMEMU_ variable:
 * fork_env.c) the process either says "N <why>" and goes on as a plain
 * check, or says "S" and serves: per request (the state's PMEMU_
 * variables, NAME=VALUE strings) it forks a child that takes the values
 * and returns from that access, says "C <pid>", waits for it and says
 * "W <wait status>"; "F" when a request does not fit the process (other
 * variables). The server itself never reads the image: each child sees
 * the image the runner wrote for its state.
 *
 * Another preload may defer its own start to the served child
 * (__pmemu_fork_defer: libpmemu-lazy.so, which loads a run's spec and
 * read log there, never in the server).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork_server.h"

#define REQ_MAX (256u << 10)
#define FD_HIGH 900 /* ours, above what a check opens: its fds as in exec */

extern char **environ;

static struct {
	int fd;            /* to the runner; -1: not (or no longer) serving */
	pid_t pid;         /* the process that loaded us */
	bool setup, ready, triggered;
	volatile int env_read, spawned;
	char dir[PATH_MAX], real[PATH_MAX];
	void (*deferred)(void); /* another preload's start
	                         * (__pmemu_fork_defer) */
	void (*before)(void);   /* ... its step before each fork
	                         * (__pmemu_fork_before) */
} fs = { .fd = -1 };

/* say -- one message: tag, then text or a number */
static void
say(char tag, const char *text, long num, bool has_num)
{
	char buf[256], digits[24], *d = digits + sizeof(digits);
	size_t n = 0;
	buf[n++] = tag;
	if (has_num) {
		unsigned long v = num < 0 ? (unsigned long)-num :
			(unsigned long)num;
		do
			*--d = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		if (num < 0)
			*--d = '-';
		buf[n++] = ' ';
		memcpy(buf + n, d, (size_t)(digits + sizeof(digits) - d));
		n += (size_t)(digits + sizeof(digits) - d);
	} else if (text != NULL) {
		size_t l = strlen(text);
		if (l > sizeof(buf) - 2)
			l = sizeof(buf) - 2;
		buf[n++] = ' ';
		memcpy(buf + n, text, l);
		n += l;
	}
	while (send(fs.fd, buf, n, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* start_deferred -- this process goes on as the check: the preload that
 * deferred its start starts now, with the state's variables readable */
static void
start_deferred(void)
{
	void (*start)(void) = fs.deferred;
	fs.deferred = NULL;
	if (start != NULL)
		start();
}

static void
stop_serving(void)
{
	if (fs.fd >= 0)
		close(fs.fd);
	fs.fd = -1;
	fe_release();
	start_deferred();
}

/* setup -- once, from the constructor or from an earlier hooked call */
static void
setup(void)
{
	if (fs.setup)
		return;
	fs.setup = true;
	const char *v = NULL, *dir = NULL;
	for (size_t i = 0; environ && environ[i]; i++) {
		if (strncmp(environ[i], "PMEMU_FORK_FD=", 14) == 0)
			v = environ[i] + 14;
		else if (strncmp(environ[i], "PMEMU_IMAGE=", 12) == 0)
			dir = environ[i] + 12;
	}
	if (v == NULL || dir == NULL || strlen(dir) >= sizeof(fs.dir))
		return;
	int fd = atoi(v);
	unsetenv("PMEMU_FORK_FD"); /* not for the programs it starts */
	fs.fd = fcntl(fd, F_DUPFD_CLOEXEC, FD_HIGH);
	close(fd);
	if (fs.fd < 0)
		return;
	fs.pid = getpid();
	strcpy(fs.dir, dir);
	fs_clean_path(fs.dir);
	if (realpath(dir, fs.real) == NULL)
		strcpy(fs.real, fs.dir);
	fe_init();
	say('H', NULL, (long)fs.pid, true);
	fs.ready = true;
}

bool
fs_watching(void)
{
	setup();
	return fs.ready && fs.fd >= 0 && !fs.triggered;
}

const char *
fs_dir(void)
{
	return fs.dir;
}

const char *
fs_real_dir(void)
{
	return fs.real;
}

/* child -- a state's process: its values, its own group, and on */
static void
child(const char *req, size_t len, pid_t server)
{
	close(fs.fd);
	fs.fd = -1;
	setpgid(0, 0); /* a group leader, as an exec'd check: a timeout kills
	                * its group */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server || !ff_private())
		_exit(125); /* not a PASS: run again by exec */
	fe_apply(req, len);
	fe_release();
	start_deferred();
}

/* fork_plain -- fork without the atfork handlers (_Fork, glibc 2.34):
 * the trigger may be inside libc with a lock held (a fault on a variable
 * read by getenv inside setlocale); the child goes on from there and
 * releases it, which a lock reset by fork's handlers would not survive */
static pid_t
fork_plain(void)
{
	static pid_t (*raw)(void);
	if (raw == NULL)
		raw = (pid_t (*)(void))dlsym(RTLD_DEFAULT, "_Fork");
	return raw != NULL ? raw() : fork();
}

/* serve -- the loop; returns in a child, or (no request came) as the
 * check itself */
static void
serve(void)
{
	static char req[REQ_MAX];
	bool forked = false;
	pid_t self = getpid();
	for (;;) {
		ssize_t n = recv(fs.fd, req, sizeof(req), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && !forked)
			return stop_serving();
		if (n <= 0)
			_exit(0);
		if (!fe_fits(req, (size_t)n)) {
			say('F', NULL, 0, false);
			continue;
		}
		forked = true;
		if (fs.before != NULL)
			fs.before();
		pid_t c = fork_plain();
		if (c == 0)
			return child(req, (size_t)n, self);
		if (c < 0) {
			say('F', NULL, 0, false);
			continue;
		}
		say('C', NULL, (long)c, true);
		int st = 0;
		pid_t w;
		while ((w = waitpid(c, &st, 0)) < 0 && errno == EINTR)
			;
		if (w != c)
			say('F', NULL, 0, false); /* the check reaped it */
		else
			say('W', NULL, st, true);
	}
}

void
fs_trigger(void)
{
	setup();
	/* once, even with threads racing (they do not serve: N) */
	if (!fs.ready || fs.fd < 0 ||
			__atomic_exchange_n(&fs.triggered, true, __ATOMIC_SEQ_CST))
		return;
	int saved = errno;
	const char *why = fs.env_read ? "the check read its environment "
		"(PMEMU_ variables) other than by getenv before it touched the "
		"image" : fs.spawned ? "the check started another program "
		"before it touched the image" : getpid() != fs.pid ? "a child process of the check "
		"touched the image first" : !fe_serviceable() ? "the check "
		"has too many or too long PMEMU_ variables" : fp_cannot_serve();
	if (why == NULL && !ff_record(fs.fd))
		why = "the check had too many files open";
	if (why != NULL) {
		say('N', why, 0, false);
		stop_serving();
	} else {
		say('S', NULL, 0, false);
		serve();
	}
	errno = saved;
}

void
fs_env_read(void)
{
	fs.env_read = 1;
}

void
fs_spawned(void)
{
	fs.spawned = 1;
	fe_release();
}

/* __pmemu_fork_defer -- for another preload's constructor, whichever of
 * ours ran first: 1 when this process may become a fork server, and then
 * start runs later, once, in each process that goes on as the check (a
 * served child, after the state's variables are in place; the process
 * itself when it does not serve); 0: start now */
__attribute__((visibility("default"))) int
__pmemu_fork_defer(void (*start)(void))
{
	setup();
	if (!fs.ready || fs.fd < 0 || fs.triggered)
		return 0;
	fs.deferred = start;
	return 1;
}

/* __pmemu_fork_before -- for another preload's constructor: fn runs in
 * the server before each fork (where it may load what its children will
 * share: libpmemu-lazy.so's decoder once a child needed it); not in a
 * signal handler, but maybe inside libc (the trigger, fork_plain) */
__attribute__((visibility("default"))) void
__pmemu_fork_before(void (*fn)(void))
{
	fs.before = fn;
}

__attribute__((constructor)) static void
fork_server_init(void)
{
	setup();
}
