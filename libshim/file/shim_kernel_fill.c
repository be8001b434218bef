/*
 * shim_kernel_fill.c -- which memory each system call writes its answer
 * into, by the raw call's arguments: one table for the libc wrappers the
 * shim interposes (intercept_fill_*.c) and for syscall() (a raw number
 * reaches the kernel with the same arguments).
 *
 * Why: a view page the shim keeps read-only is written by the kernel's
 * copy_to_user without a fault the shim could see; the call fails with
 * EFAULT. A program that keeps a struct stat, a pipe's descriptors, a
 * pollfd array or a wait status in its pool worked natively and failed
 * under pmemu (wait even reaped the child and lost its status). The
 * buffers' pages are opened first, as for read (shim_read_buffer.c): the
 * bytes are then found by diffing, named by the call.
 *
 * A length the table cannot know without reading the program's memory
 * (a sockaddr's or a getsockopt value's) is bounded from above: opening a
 * page the call does not write costs a compare, never a finding.
 */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>

#include "shim_core.h"
#include "shim_kernel_fill.h"
#include "shim_read_buffer.h"

/* how a buffer's length follows from the arguments */
enum fill_len {
	FILL_NONE,
	FILL_FIXED,  /* unit bytes */
	FILL_ARG,    /* a[arg] * unit bytes */
	FILL_PLUS,   /* a[arg] + unit bytes (msgrcv: the type's long first) */
	FILL_IOV,    /* an iovec array, a[arg] entries */
	FILL_FDSET,  /* select's fd_set of a[0] descriptors */
	FILL_IOCTL,  /* ioctl a[1]'s answer */
};

struct fill_buf {
	int8_t ptr;          /* the argument that points to it */
	uint8_t len;         /* enum fill_len */
	int8_t arg;
	uint16_t unit;
};

#define BUFS_MAX 4
struct fill_call {
	long nr;
	struct fill_buf buf[BUFS_MAX];
};

#define FIXED(p, n) { p, FILL_FIXED, 0, n }
#define ARG(p, i, u) { p, FILL_ARG, i, u }
#define IOV(p, i) { p, FILL_IOV, i, 0 }
#define FDSET(p) { p, FILL_FDSET, 0, 0 }
#define IOCTL(p) { p, FILL_IOCTL, 1, 0 }
#define SOCKADDR_MAX sizeof(struct sockaddr_storage)
#define SOCKOPT_MAX 4096     /* larger than any option's value */
#define EPOLL_EVENT 12       /* sizeof(struct epoll_event): packed */

static const struct fill_call calls[] = {
	{ SYS_read, { ARG(1, 2, 1) } },
	{ SYS_pread64, { ARG(1, 2, 1) } },
	{ SYS_readv, { IOV(1, 2) } },
	{ SYS_preadv, { IOV(1, 2) } },
	{ SYS_preadv2, { IOV(1, 2) } },
	{ SYS_recvfrom, { ARG(1, 2, 1), FIXED(4, SOCKADDR_MAX),
		FIXED(5, sizeof(socklen_t)) } },
	{ SYS_getrandom, { ARG(0, 1, 1) } },
	{ SYS_ioctl, { IOCTL(2) } },
	{ SYS_process_vm_readv, { IOV(1, 2) } },
	{ SYS_msgrcv, { { 1, FILL_PLUS, 2, sizeof(long) } } },
	{ SYS_mq_timedreceive, { ARG(1, 2, 1), FIXED(3, sizeof(unsigned)) } },
	/* files */
	{ SYS_stat, { FIXED(1, sizeof(struct stat)) } },
	{ SYS_lstat, { FIXED(1, sizeof(struct stat)) } },
	{ SYS_fstat, { FIXED(1, sizeof(struct stat)) } },
	{ SYS_newfstatat, { FIXED(2, sizeof(struct stat)) } },
	{ SYS_statx, { FIXED(4, sizeof(struct statx)) } },
	{ SYS_statfs, { FIXED(1, sizeof(struct statfs)) } },
	{ SYS_fstatfs, { FIXED(1, sizeof(struct statfs)) } },
	{ SYS_getcwd, { ARG(0, 1, 1) } },
	{ SYS_readlink, { ARG(1, 2, 1) } },
	{ SYS_readlinkat, { ARG(2, 3, 1) } },
	{ SYS_getdents64, { ARG(1, 2, 1) } },
	{ SYS_getdents, { ARG(1, 2, 1) } },
	{ SYS_getxattr, { ARG(2, 3, 1) } },
	{ SYS_lgetxattr, { ARG(2, 3, 1) } },
	{ SYS_fgetxattr, { ARG(2, 3, 1) } },
	{ SYS_listxattr, { ARG(1, 2, 1) } },
	{ SYS_llistxattr, { ARG(1, 2, 1) } },
	{ SYS_flistxattr, { ARG(1, 2, 1) } },
	/* descriptors and sockets */
	{ SYS_pipe, { FIXED(0, 2 * sizeof(int)) } },
	{ SYS_pipe2, { FIXED(0, 2 * sizeof(int)) } },
	{ SYS_socketpair, { FIXED(3, 2 * sizeof(int)) } },
	{ SYS_accept, { FIXED(1, SOCKADDR_MAX), FIXED(2, sizeof(socklen_t)) } },
	{ SYS_accept4, { FIXED(1, SOCKADDR_MAX),
		FIXED(2, sizeof(socklen_t)) } },
	{ SYS_getsockname, { FIXED(1, SOCKADDR_MAX),
		FIXED(2, sizeof(socklen_t)) } },
	{ SYS_getpeername, { FIXED(1, SOCKADDR_MAX),
		FIXED(2, sizeof(socklen_t)) } },
	{ SYS_getsockopt, { FIXED(3, SOCKOPT_MAX),
		FIXED(4, sizeof(socklen_t)) } },
	{ SYS_poll, { ARG(0, 1, sizeof(struct pollfd)) } },
	{ SYS_ppoll, { ARG(0, 1, sizeof(struct pollfd)),
		FIXED(2, sizeof(struct timespec)) } },
	{ SYS_select, { FDSET(1), FDSET(2), FDSET(3),
		FIXED(4, sizeof(struct timeval)) } },
	{ SYS_pselect6, { FDSET(1), FDSET(2), FDSET(3),
		FIXED(4, sizeof(struct timespec)) } },
	{ SYS_epoll_wait, { ARG(1, 2, EPOLL_EVENT) } },
	{ SYS_epoll_pwait, { ARG(1, 2, EPOLL_EVENT) } },
	{ SYS_epoll_pwait2, { ARG(1, 2, EPOLL_EVENT) } },
	/* processes, signals, time */
	{ SYS_wait4, { FIXED(1, sizeof(int)),
		FIXED(3, sizeof(struct rusage)) } },
	{ SYS_waitid, { FIXED(2, sizeof(siginfo_t)),
		FIXED(4, sizeof(struct rusage)) } },
	{ SYS_uname, { FIXED(0, sizeof(struct utsname)) } },
	{ SYS_sysinfo, { FIXED(0, sizeof(struct sysinfo)) } },
	{ SYS_getrusage, { FIXED(1, sizeof(struct rusage)) } },
	{ SYS_getrlimit, { FIXED(1, sizeof(struct rlimit)) } },
	{ SYS_prlimit64, { FIXED(3, sizeof(struct rlimit)) } },
	{ SYS_times, { FIXED(0, sizeof(struct tms)) } },
	{ SYS_sched_getaffinity, { ARG(2, 1, 1) } },
	{ SYS_getgroups, { ARG(1, 0, sizeof(gid_t)) } },
	{ SYS_getresuid, { FIXED(0, sizeof(uid_t)), FIXED(1, sizeof(uid_t)),
		FIXED(2, sizeof(uid_t)) } },
	{ SYS_getresgid, { FIXED(0, sizeof(gid_t)), FIXED(1, sizeof(gid_t)),
		FIXED(2, sizeof(gid_t)) } },
	{ SYS_rt_sigprocmask, { ARG(2, 3, 1) } },
	{ SYS_rt_sigpending, { ARG(0, 1, 1) } },
	{ SYS_rt_sigtimedwait, { FIXED(1, sizeof(siginfo_t)) } },
	{ SYS_sigaltstack, { FIXED(1, sizeof(stack_t)) } },
	{ SYS_nanosleep, { FIXED(1, sizeof(struct timespec)) } },
	{ SYS_clock_nanosleep, { FIXED(3, sizeof(struct timespec)) } },
	{ SYS_clock_gettime, { FIXED(1, sizeof(struct timespec)) } },
	{ SYS_clock_getres, { FIXED(1, sizeof(struct timespec)) } },
	{ SYS_gettimeofday, { FIXED(0, sizeof(struct timeval)),
		FIXED(1, sizeof(struct timezone)) } },
	{ SYS_time, { FIXED(0, sizeof(time_t)) } },
	{ SYS_getitimer, { FIXED(1, sizeof(struct itimerval)) } },
	{ SYS_setitimer, { FIXED(2, sizeof(struct itimerval)) } },
	{ SYS_timer_gettime, { FIXED(1, sizeof(struct itimerspec)) } },
	{ SYS_timer_settime, { FIXED(3, sizeof(struct itimerspec)) } },
	{ SYS_timerfd_gettime, { FIXED(1, sizeof(struct itimerspec)) } },
	{ SYS_timerfd_settime, { FIXED(3, sizeof(struct itimerspec)) } },
	{ SYS_getcpu, { FIXED(0, sizeof(unsigned)),
		FIXED(1, sizeof(unsigned)) } },
};

/* a request older than the encoding (no direction, no size: the tty's
 * 0x54xx, the sockets' 0x89xx, whose struct ifreq is 40 bytes) may
 * write any small answer at its argument: bounded from above, as the
 * table's other unknown lengths (a page the call does not write costs a
 * compare) */
#define IOCTL_LEGACY_MAX 4096

/*
 * ioctl_answer -- the bytes request req writes at its argument: its
 * encoded size when it reads from the device (_IOR, _IOWR); the common
 * requests older than the encoding; IOCTL_LEGACY_MAX for the others
 * with no direction; none when the device only reads (_IOW)
 */
static size_t
ioctl_answer(unsigned long req)
{
	switch (req) {
	case FIONREAD:
	case TIOCOUTQ:
		return sizeof(int);
	case TIOCGWINSZ:
		return sizeof(struct winsize);
	case TCGETS:
		return sizeof(struct termios);
	default:
		if (_IOC_DIR(req) == _IOC_NONE)
			return IOCTL_LEGACY_MAX;
		return (_IOC_DIR(req) & _IOC_READ) ? _IOC_SIZE(req) : 0;
	}
}

/* a count or size the kernel would refuse (negative, absurd): opening
 * nothing then loses nothing */
#define LEN_MAX ((size_t)1 << 31)

static void
open_buf(const struct fill_buf *b, const long a[6])
{
	void *p = (void *)a[b->ptr];
	size_t n = (size_t)a[b->arg];
	switch (b->len) {
	case FILL_FIXED:
		shim_read_buffer(p, b->unit);
		return;
	case FILL_ARG:
		if (n < LEN_MAX / (b->unit ? b->unit : 1))
			shim_read_buffer(p, n * b->unit);
		return;
	case FILL_PLUS:
		if (n < LEN_MAX)
			shim_read_buffer(p, n + b->unit);
		return;
	case FILL_IOV:
		if (p != NULL && n <= IOV_MAX)
			shim_read_buffers(p, (int)n);
		return;
	case FILL_FDSET: {
		size_t fds = (size_t)a[0];
		if (fds <= FD_SETSIZE * 64)
			shim_read_buffer(p, (fds + 63) / 64 * 8);
		return;
	}
	case FILL_IOCTL:
		shim_read_buffer(p, ioctl_answer((unsigned long)a[b->arg]));
		return;
	default:
		return;
	}
}

/* calls[] by system call number (its index + 1; 0: not there), built
 * at the first call: every thread that races to build it writes the
 * same bytes */
#define NR_MAX 512
static uint8_t index_of[NR_MAX];
static bool index_ready;

static void
index_build(void)
{
	_Static_assert(sizeof(calls) / sizeof(calls[0]) < 255, "index_of");
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].nr >= 0 && calls[i].nr < NR_MAX)
			index_of[calls[i].nr] = (uint8_t)(i + 1);
	__atomic_store_n(&index_ready, true, __ATOMIC_RELEASE);
}

bool
shim_kernel_fill(long nr, const long a[6])
{
	if (!__atomic_load_n(&index_ready, __ATOMIC_ACQUIRE))
		index_build();
	if (nr < 0 || nr >= NR_MAX || index_of[nr] == 0)
		return false;
	const struct fill_call *c = &calls[index_of[nr] - 1];
	for (int b = 0; b < BUFS_MAX; b++)
		if (c->buf[b].len != FILL_NONE && a[c->buf[b].ptr] != 0)
			open_buf(&c->buf[b], a);
	return true;
}
