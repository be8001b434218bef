/*
 * kernel_fill.c -- calls whose answer the kernel writes into the caller's
 * memory (a struct stat, pipe's descriptors, poll's revents, wait's
 * status...), given that memory in emulated pmem (argv[2] names the
 * call). Natively each succeeds; under pmemu a read-only view page made
 * each fail with EFAULT. Each answer is checked against the same call
 * into ordinary memory where it is deterministic. The answer is then
 * persisted: no finding; -DFORGET_FLUSH leaves it unflushed (reported,
 * named by the call). Prints "CALL ok" when the call worked.
 */
#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <linux/random.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN 65536
#define OFF 4096 /* the answer: page 1 on */

static int pool_fd;

/* a child that exits with 7 */
static pid_t
child7(void)
{
	pid_t c = fork();
	if (c < 0)
		err(1, "fork");
	if (c == 0)
		_exit(7);
	return c;
}

/* a pipe whose write end is ready: for poll, select, epoll */
static int
ready_fd(void)
{
	int p[2];
	if (pipe(p) != 0)
		err(1, "pipe");
	return p[1];
}

/* two ends of a pipe or socket pair talk */
static int
talks(const int *fds)
{
	char c = 'x';
	return write(fds[1], &c, 1) == 1 && read(fds[0], &c, 1) == 1;
}

static int
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
		a->st_mode == b->st_mode;
}

/* fill -- make `how` write its answer at buf; nonzero when it worked */
static int
fill(const char *how, unsigned char *buf, const char *pool)
{
	struct stat st, at;
	if (fstat(pool_fd, &st) != 0 || stat(pool, &at) != 0)
		err(1, "fstat");
	if (strcmp(how, "fstat") == 0)
		return fstat(pool_fd, (struct stat *)buf) == 0 && /* FILL */
			same_stat((struct stat *)buf, &st);
	if (strcmp(how, "stat") == 0)
		return stat(pool, (struct stat *)buf) == 0 && /* FILL */
			same_stat((struct stat *)buf, &at);
	if (strcmp(how, "fstatat") == 0)
		return fstatat(AT_FDCWD, pool, (struct stat *)buf, /* FILL */
			0) == 0 && same_stat((struct stat *)buf, &at);
	if (strcmp(how, "statx") == 0)
		return statx(AT_FDCWD, pool, 0, STATX_INO, /* FILL */
			(struct statx *)buf) == 0 &&
			((struct statx *)buf)->stx_ino == at.st_ino;
	if (strcmp(how, "raw_fstat") == 0)
		return syscall(SYS_fstat, pool_fd, buf) == 0 && /* FILL */
			same_stat((struct stat *)buf, &st);
	if (strcmp(how, "fstatfs") == 0) {
		struct statfs want;
		return fstatfs(pool_fd, &want) == 0 &&
			fstatfs(pool_fd, (struct statfs *)buf) == 0 && /* FILL */
			((struct statfs *)buf)->f_type == want.f_type;
	}
	if (strcmp(how, "getcwd") == 0) {
		char want[4096];
		return getcwd(want, sizeof(want)) != NULL &&
			getcwd((char *)buf, 4096) != NULL && /* FILL */
			strcmp(want, (char *)buf) == 0;
	}
	if (strcmp(how, "readlink") == 0) {
		char want[4096] = "";
		ssize_t n = readlink("/proc/self/exe", want, sizeof(want));
		return n > 0 && readlink("/proc/self/exe", (char *)buf, /* FILL */
			4096) == n && memcmp(want, buf, (size_t)n) == 0;
	}
	if (strcmp(how, "getdents64") == 0) {
		int d = open("/", O_RDONLY | O_DIRECTORY);
		return d >= 0 && getdents64(d, buf, 4096) > 0; /* FILL */
	}
	if (strcmp(how, "pipe") == 0)
		return pipe((int *)buf) == 0 && talks((int *)buf); /* FILL */
	if (strcmp(how, "raw_pipe2") == 0)
		return syscall(SYS_pipe2, buf, 0) == 0 && /* FILL */
			talks((int *)buf);
	if (strcmp(how, "socketpair") == 0)
		return socketpair(AF_UNIX, SOCK_STREAM, 0, /* FILL */
			(int *)buf) == 0 && talks((int *)buf);
	if (strcmp(how, "poll") == 0) {
		struct pollfd want = { ready_fd(), POLLOUT, 0 };
		memcpy(buf, &want, sizeof(want));
		return poll((struct pollfd *)buf, 1, 0) == 1 && /* FILL */
			(((struct pollfd *)buf)->revents & POLLOUT);
	}
	if (strcmp(how, "select") == 0) {
		int fd = ready_fd();
		fd_set want;
		FD_ZERO(&want);
		FD_SET(fd, &want);
		memcpy(buf, &want, sizeof(want));
		return select(fd + 1, NULL, (fd_set *)buf, NULL, /* FILL */
			NULL) == 1 && FD_ISSET(fd, (fd_set *)buf);
	}
	if (strcmp(how, "epoll_wait") == 0) {
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 77 };
		return epoll_ctl(ep, EPOLL_CTL_ADD, ready_fd(), &ev) == 0 &&
			epoll_wait(ep, (struct epoll_event *)buf, 1, /* FILL */
				0) == 1 &&
			((struct epoll_event *)buf)->data.u64 == 77;
	}
	if (strcmp(how, "getsockopt") == 0) {
		int sv[2];
		socklen_t *len = (socklen_t *)(buf + 64);
		*len = sizeof(int);
		return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
			getsockopt(sv[0], SOL_SOCKET, SO_TYPE, buf, /* FILL */
				len) == 0 && *(int *)buf == SOCK_STREAM;
	}
	if (strcmp(how, "waitpid") == 0) {
		pid_t c = child7();
		return waitpid(c, (int *)buf, 0) == c && /* FILL */
			WEXITSTATUS(*(int *)buf) == 7;
	}
	if (strcmp(how, "wait4") == 0) {
		pid_t c = child7();
		return wait4(c, (int *)buf, 0, /* FILL */
			(struct rusage *)(buf + 64)) == c &&
			WEXITSTATUS(*(int *)buf) == 7;
	}
	if (strcmp(how, "waitid") == 0) {
		pid_t c = child7();
		return waitid(P_PID, (id_t)c, (siginfo_t *)buf, /* FILL */
			WEXITED) == 0 && ((siginfo_t *)buf)->si_status == 7;
	}
	if (strcmp(how, "uname") == 0) {
		struct utsname want;
		return uname(&want) == 0 &&
			uname((struct utsname *)buf) == 0 && /* FILL */
			memcmp(&want, buf, sizeof(want)) == 0;
	}
	if (strcmp(how, "sysinfo") == 0) {
		struct sysinfo want;
		return sysinfo(&want) == 0 &&
			sysinfo((struct sysinfo *)buf) == 0 && /* FILL */
			((struct sysinfo *)buf)->totalram == want.totalram;
	}
	if (strcmp(how, "getrlimit") == 0) {
		struct rlimit want;
		return getrlimit(RLIMIT_NOFILE, &want) == 0 &&
			getrlimit(RLIMIT_NOFILE, /* FILL */
				(struct rlimit *)buf) == 0 &&
			memcmp(&want, buf, sizeof(want)) == 0;
	}
	if (strcmp(how, "getrusage") == 0)
		return getrusage(RUSAGE_SELF, (struct rusage *)buf) == 0 && /* FILL */
			((struct rusage *)buf)->ru_maxrss > 0;
	if (strcmp(how, "sched_getaffinity") == 0) {
		cpu_set_t want;
		return sched_getaffinity(0, sizeof(want), &want) == 0 &&
			sched_getaffinity(0, sizeof(want), /* FILL */
				(cpu_set_t *)buf) == 0 &&
			memcmp(&want, buf, sizeof(want)) == 0;
	}
	if (strcmp(how, "sigprocmask") == 0) {
		sigset_t block;
		sigemptyset(&block);
		sigaddset(&block, SIGUSR1);
		return sigprocmask(SIG_BLOCK, &block, NULL) == 0 &&
			sigprocmask(SIG_BLOCK, NULL, /* FILL */
				(sigset_t *)buf) == 0 &&
			sigismember((sigset_t *)buf, SIGUSR1) == 1;
	}
	if (strcmp(how, "sigtimedwait") == 0) {
		sigset_t block;
		sigemptyset(&block);
		sigaddset(&block, SIGUSR2);
		struct timespec zero = { 0, 0 };
		return sigprocmask(SIG_BLOCK, &block, NULL) == 0 &&
			raise(SIGUSR2) == 0 &&
			sigtimedwait(&block, (siginfo_t *)buf, /* FILL */
				&zero) == SIGUSR2 &&
			((siginfo_t *)buf)->si_signo == SIGUSR2;
	}
	if (strcmp(how, "getitimer") == 0) {
		struct itimerval t = { { 0, 0 }, { 1000, 0 } }, off = { 0 };
		int ok = setitimer(ITIMER_REAL, &t, NULL) == 0 &&
			getitimer(ITIMER_REAL, /* FILL */
				(struct itimerval *)buf) == 0 &&
			((struct itimerval *)buf)->it_value.tv_sec > 900;
		setitimer(ITIMER_REAL, &off, NULL);
		return ok;
	}
	if (strcmp(how, "timerfd_gettime") == 0) {
		int t = timerfd_create(CLOCK_MONOTONIC, 0);
		struct itimerspec v = { { 0, 0 }, { 1000, 0 } };
		return t >= 0 && timerfd_settime(t, 0, &v, NULL) == 0 &&
			timerfd_gettime(t, (struct itimerspec *)buf) == 0 && /* FILL */
			((struct itimerspec *)buf)->it_value.tv_sec > 900;
	}
	if (strcmp(how, "clock_gettime") == 0) /* a CPU clock: not the vDSO */
		return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, /* FILL */
			(struct timespec *)buf) == 0 &&
			((struct timespec *)buf)->tv_nsec < 1000000000;
	if (strcmp(how, "clock_getres") == 0) {
		struct timespec want;
		return clock_getres(CLOCK_THREAD_CPUTIME_ID, &want) == 0 &&
			clock_getres(CLOCK_THREAD_CPUTIME_ID, /* FILL */
				(struct timespec *)buf) == 0 &&
			memcmp(&want, buf, sizeof(want)) == 0;
	}
	if (strcmp(how, "msgrcv") == 0) {
		struct { long type; char text[8]; } m = { 1, "hello" };
		int q = msgget(IPC_PRIVATE, 0600);
		int ok = q >= 0 && msgsnd(q, &m, sizeof(m.text), 0) == 0 &&
			msgrcv(q, buf, sizeof(m.text), 0, 0) == /* FILL */
				sizeof(m.text) &&
			strcmp((char *)buf + sizeof(long), "hello") == 0;
		if (q >= 0)
			msgctl(q, IPC_RMID, NULL);
		return ok;
	}
	if (strcmp(how, "process_vm_readv") == 0) {
		static const char want[] = "from the process's own memory";
		struct iovec local = { buf, sizeof(want) };
		struct iovec remote = { (void *)want, sizeof(want) };
		return process_vm_readv(getpid(), &local, 1, /* FILL */
			&remote, 1, 0) == sizeof(want) &&
			strcmp((char *)buf, want) == 0;
	}
	if (strcmp(how, "eventfd_read") == 0) {
		int e = eventfd(5, 0);
		return e >= 0 && eventfd_read(e, (eventfd_t *)buf) == 0 && /* FILL */
			*(eventfd_t *)buf == 5;
	}
	if (strcmp(how, "ioctl_fionread") == 0) {
		int p[2];
		return pipe(p) == 0 && write(p[1], "abc", 3) == 3 &&
			ioctl(p[0], FIONREAD, buf) == 0 && /* FILL */
			*(int *)buf == 3;
	}
	if (strcmp(how, "ioctl_ior") == 0) { /* _IOR: its size encoded */
		int want = 0, r = open("/dev/urandom", O_RDONLY);
		return r >= 0 && ioctl(r, RNDGETENTCNT, &want) == 0 &&
			ioctl(r, RNDGETENTCNT, buf) == 0 && /* FILL */
			*(int *)buf == want && want > 0;
	}
	if (strcmp(how, "ioctl_legacy") == 0) { /* no size encoded */
		struct ifreq want = { 0 }, *ifr = (struct ifreq *)buf;
		int sk = socket(AF_INET, SOCK_DGRAM, 0);
		strcpy(want.ifr_name, "lo");
		strcpy(ifr->ifr_name, "lo"); /* the kernel reads it: */
		pmemu_flush(ifr, sizeof(*ifr)); /* persisted, its page */
		pmemu_fence(); /* read-only again */
		return sk >= 0 && ioctl(sk, SIOCGIFINDEX, &want) == 0 &&
			ioctl(sk, SIOCGIFINDEX, ifr) == 0 && /* FILL */
			ifr->ifr_ifindex == want.ifr_ifindex;
	}
	errx(2, "unknown call '%s'", how);
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL CALL", argv[0]);
	pool_fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (pool_fd < 0 || ftruncate(pool_fd, LEN) != 0)
		err(1, "%s", argv[1]);
	unsigned char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		pool_fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	int ok = fill(argv[2], p + OFF, argv[1]);
#ifndef FORGET_FLUSH
	pmemu_flush(p + OFF, LEN - OFF);
	pmemu_fence();
#endif
	printf("%s %s\n", argv[2], ok ? "ok" : "FAILED");
	return 0;
}
