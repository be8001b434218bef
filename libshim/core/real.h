/*
 * real.h -- the real definition of every function libpmemu interposes, as
 * compiler-rt's DECLARE_REAL/REAL: REAL(mmap) is the mmap after libpmemu
 * (libc's), whatever layer calls it. The shim's own code calls REAL(x),
 * never the exported interposer x, so it never depends on the layer of
 * the interposers (intercept/) nor on the depth guard to reach libc.
 *
 * SHIM_REAL_FUNCTIONS lists them once: an interposer of a function not in
 * the list does not compile (SHIM_INTERCEPTOR, shim_intercept.h).
 */
#ifndef PMEMU_SHIM_REAL_H
#define PMEMU_SHIM_REAL_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <aio.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/statfs.h>
#include <time.h>

/* a function, not stdio.h's macro, where it is one (interposed) */
#undef fread_unlocked

#define SHIM_REAL_FUNCTIONS(X) \
	X(int, open, (const char *, int, ...)) \
	X(int, open64, (const char *, int, ...)) \
	X(int, openat, (int, const char *, int, ...)) \
	X(int, openat64, (int, const char *, int, ...)) \
	X(int, creat, (const char *, mode_t)) \
	X(int, creat64, (const char *, mode_t)) \
	X(int, close, (int)) \
	X(FILE *, fopen, (const char *, const char *)) \
	X(FILE *, fopen64, (const char *, const char *)) \
	X(FILE *, fdopen, (int, const char *)) \
	X(FILE *, freopen, (const char *, const char *, FILE *)) \
	X(FILE *, freopen64, (const char *, const char *, FILE *)) \
	X(int, fclose, (FILE *)) \
	X(int, dup, (int)) \
	X(int, dup2, (int, int)) \
	X(int, dup3, (int, int, int)) \
	X(int, fcntl, (int, int, ...)) \
	X(int, fcntl64, (int, int, ...)) \
	X(int, ftruncate, (int, off_t)) \
	X(int, ftruncate64, (int, off_t)) \
	X(int, truncate, (const char *, off_t)) \
	X(int, truncate64, (const char *, off_t)) \
	X(int, fallocate, (int, int, off_t, off_t)) \
	X(int, fallocate64, (int, int, off_t, off_t)) \
	X(int, posix_fallocate, (int, off_t, off_t)) \
	X(int, posix_fallocate64, (int, off_t, off_t)) \
	X(int, rename, (const char *, const char *)) \
	X(int, renameat, (int, const char *, int, const char *)) \
	X(int, renameat2, (int, const char *, int, const char *, unsigned)) \
	X(long, syscall, (long, ...)) \
	X(int, pidfd_getfd, (int, int, unsigned int)) \
	X(void *, mmap, (void *, size_t, int, int, int, off_t)) \
	X(void *, mmap64, (void *, size_t, int, int, int, off_t)) \
	X(int, munmap, (void *, size_t)) \
	X(int, msync, (void *, size_t, int)) \
	X(int, madvise, (void *, size_t, int)) \
	X(int, mprotect, (void *, size_t, int)) \
	X(int, pkey_mprotect, (void *, size_t, int, int)) \
	X(void *, mremap, (void *, size_t, size_t, int, ...)) \
	X(int, stat, (const char *, struct stat *)) \
	X(int, stat64, (const char *, struct stat64 *)) \
	X(int, lstat, (const char *, struct stat *)) \
	X(int, lstat64, (const char *, struct stat64 *)) \
	X(int, fstatat, (int, const char *, struct stat *, int)) \
	X(int, fstatat64, (int, const char *, struct stat64 *, int)) \
	X(int, statx, (int, const char *, int, unsigned, struct statx *)) \
	X(int, fstat, (int, struct stat *)) \
	X(int, fstat64, (int, struct stat64 *)) \
	X(ssize_t, read, (int, void *, size_t)) \
	X(ssize_t, pread, (int, void *, size_t, off_t)) \
	X(ssize_t, pread64, (int, void *, size_t, off_t)) \
	X(ssize_t, readv, (int, const struct iovec *, int)) \
	X(ssize_t, preadv, (int, const struct iovec *, int, off_t)) \
	X(ssize_t, preadv64, (int, const struct iovec *, int, off64_t)) \
	X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int)) \
	X(ssize_t, preadv64v2, (int, const struct iovec *, int, off64_t, int)) \
	X(ssize_t, recv, (int, void *, size_t, int)) \
	X(ssize_t, sendfile, (int, int, off_t *, size_t)) \
	X(ssize_t, sendfile64, (int, int, off64_t *, size_t)) \
	X(ssize_t, copy_file_range, (int, off64_t *, int, off64_t *, size_t, \
		unsigned int)) \
	X(ssize_t, splice, (int, off64_t *, int, off64_t *, size_t, \
		unsigned int)) \
	X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int)) \
	X(ssize_t, pwritev64v2, (int, const struct iovec *, int, off64_t, int)) \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, \
		socklen_t *)) \
	X(ssize_t, recvmsg, (int, struct msghdr *, int)) \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, \
		struct timespec *)) \
	X(ssize_t, getrandom, (void *, size_t, unsigned int)) \
	X(int, statfs, (const char *, struct statfs *)) \
	X(int, statfs64, (const char *, struct statfs64 *)) \
	X(int, fstatfs, (int, struct statfs *)) \
	X(int, fstatfs64, (int, struct statfs64 *)) \
	X(char *, getcwd, (char *, size_t)) \
	X(char *, __getcwd_chk, (char *, size_t, size_t)) \
	X(ssize_t, readlink, (const char *, char *, size_t)) \
	X(ssize_t, __readlink_chk, (const char *, char *, size_t, size_t)) \
	X(ssize_t, readlinkat, (int, const char *, char *, size_t)) \
	X(ssize_t, __readlinkat_chk, (int, const char *, char *, size_t, \
		size_t)) \
	X(ssize_t, getdents64, (int, void *, size_t)) \
	X(ssize_t, getxattr, (const char *, const char *, void *, size_t)) \
	X(ssize_t, lgetxattr, (const char *, const char *, void *, size_t)) \
	X(ssize_t, fgetxattr, (int, const char *, void *, size_t)) \
	X(ssize_t, listxattr, (const char *, char *, size_t)) \
	X(ssize_t, llistxattr, (const char *, char *, size_t)) \
	X(ssize_t, flistxattr, (int, char *, size_t)) \
	X(int, pipe, (int *)) \
	X(int, pipe2, (int *, int)) \
	X(int, socketpair, (int, int, int, int *)) \
	X(int, poll, (struct pollfd *, nfds_t, int)) \
	X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t)) \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, \
		const sigset_t *)) \
	X(int, __ppoll_chk, (struct pollfd *, nfds_t, const struct timespec *, \
		const sigset_t *, size_t)) \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *)) \
	X(int, pselect, (int, fd_set *, fd_set *, fd_set *, \
		const struct timespec *, const sigset_t *)) \
	X(int, epoll_wait, (int, struct epoll_event *, int, int)) \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, \
		const sigset_t *)) \
	X(int, epoll_pwait2, (int, struct epoll_event *, int, \
		const struct timespec *, const sigset_t *)) \
	X(int, accept, (int, struct sockaddr *, socklen_t *)) \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int)) \
	X(int, getsockname, (int, struct sockaddr *, socklen_t *)) \
	X(int, getpeername, (int, struct sockaddr *, socklen_t *)) \
	X(int, getsockopt, (int, int, int, void *, socklen_t *)) \
	X(ssize_t, msgrcv, (int, void *, size_t, long, int)) \
	X(ssize_t, mq_receive, (mqd_t, char *, size_t, unsigned *)) \
	X(ssize_t, mq_timedreceive, (mqd_t, char *, size_t, unsigned *, \
		const struct timespec *)) \
	X(ssize_t, process_vm_readv, (pid_t, const struct iovec *, \
		unsigned long, const struct iovec *, unsigned long, \
		unsigned long)) \
	X(int, eventfd_read, (int, eventfd_t *)) \
	X(pid_t, wait, (int *)) \
	X(pid_t, waitpid, (pid_t, int *, int)) \
	X(pid_t, wait3, (int *, int, struct rusage *)) \
	X(pid_t, wait4, (pid_t, int *, int, struct rusage *)) \
	X(int, waitid, (idtype_t, id_t, siginfo_t *, int)) \
	X(int, uname, (struct utsname *)) \
	X(int, sysinfo, (struct sysinfo *)) \
	X(int, getrusage, (__rusage_who_t, struct rusage *)) \
	X(int, getrlimit, (__rlimit_resource_t, struct rlimit *)) \
	X(int, getrlimit64, (__rlimit_resource_t, struct rlimit64 *)) \
	X(int, prlimit, (pid_t, __rlimit_resource_t, const struct rlimit *, \
		struct rlimit *)) \
	X(int, prlimit64, (pid_t, __rlimit_resource_t, \
		const struct rlimit64 *, struct rlimit64 *)) \
	X(clock_t, times, (struct tms *)) \
	X(int, sched_getaffinity, (pid_t, size_t, cpu_set_t *)) \
	X(int, getgroups, (int, gid_t *)) \
	X(int, getresuid, (uid_t *, uid_t *, uid_t *)) \
	X(int, getresgid, (gid_t *, gid_t *, gid_t *)) \
	X(int, sigprocmask, (int, const sigset_t *, sigset_t *)) \
	X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *)) \
	X(int, sigpending, (sigset_t *)) \
	X(int, sigtimedwait, (const sigset_t *, siginfo_t *, \
		const struct timespec *)) \
	X(int, sigwaitinfo, (const sigset_t *, siginfo_t *)) \
	X(int, sigaltstack, (const stack_t *, stack_t *)) \
	X(int, nanosleep, (const struct timespec *, struct timespec *)) \
	X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, \
		struct timespec *)) \
	X(int, clock_gettime, (clockid_t, struct timespec *)) \
	X(int, clock_getres, (clockid_t, struct timespec *)) \
	X(int, getitimer, (__itimer_which_t, struct itimerval *)) \
	X(int, setitimer, (__itimer_which_t, const struct itimerval *, \
		struct itimerval *)) \
	X(int, timer_gettime, (timer_t, struct itimerspec *)) \
	X(int, timer_settime, (timer_t, int, const struct itimerspec *, \
		struct itimerspec *)) \
	X(int, timerfd_gettime, (int, struct itimerspec *)) \
	X(int, timerfd_settime, (int, int, const struct itimerspec *, \
		struct itimerspec *)) \
	X(size_t, fread, (void *, size_t, size_t, FILE *)) \
	X(size_t, fread_unlocked, (void *, size_t, size_t, FILE *)) \
	X(int, dprintf, (int, const char *, ...)) \
	X(int, posix_spawn, (pid_t *, const char *, \
		const posix_spawn_file_actions_t *, const posix_spawnattr_t *, \
		char *const[], char *const[])) \
	X(int, posix_spawnp, (pid_t *, const char *, \
		const posix_spawn_file_actions_t *, const posix_spawnattr_t *, \
		char *const[], char *const[])) \
	X(int, aio_write, (struct aiocb *)) \
	X(int, aio_write64, (struct aiocb64 *)) \
	X(int, aio_read, (struct aiocb *)) \
	X(int, aio_read64, (struct aiocb64 *)) \
	X(int, aio_fsync, (int, struct aiocb *)) \
	X(int, aio_fsync64, (int, struct aiocb64 *)) \
	X(int, lio_listio, (int, struct aiocb *const[], int, \
		struct sigevent *)) \
	X(int, lio_listio64, (int, struct aiocb64 *const[], int, \
		struct sigevent *)) \
	X(int, vdprintf, (int, const char *, va_list)) \
	X(int, access, (const char *, int)) \
	X(char *, realpath, (const char *, char *)) \
	X(int, faccessat, (int, const char *, int, int)) \
	X(int, unlink, (const char *)) \
	X(int, unlinkat, (int, const char *, int)) \
	X(int, sigaction, (int, const struct sigaction *, struct sigaction *)) \
	X(sighandler_t, signal, (int, sighandler_t)) \
	X(pid_t, vfork, (void)) \
	X(int, execve, (const char *, char *const[], char *const[])) \
	X(int, execvpe, (const char *, char *const[], char *const[])) \
	X(int, execv, (const char *, char *const[])) \
	X(int, execvp, (const char *, char *const[])) \
	X(__attribute__((noreturn)) void, exit, (int)) \
	X(__attribute__((noreturn)) void, _exit, (int)) \
	X(__attribute__((noreturn)) void, _Exit, (int)) \
	X(ssize_t, write, (int, const void *, size_t)) \
	X(ssize_t, pwrite, (int, const void *, size_t, off_t)) \
	X(ssize_t, pwrite64, (int, const void *, size_t, off_t)) \
	X(ssize_t, writev, (int, const struct iovec *, int)) \
	X(ssize_t, pwritev, (int, const struct iovec *, int, off_t)) \
	X(ssize_t, pwritev64, (int, const struct iovec *, int, off_t)) \
	X(int, fsync, (int)) \
	X(void, sync, (void)) \
	X(int, syncfs, (int)) \
	X(int, fdatasync, (int)) \
	X(int, sync_file_range, (int, off_t, off_t, unsigned int)) \
	X(void *, dlopen, (const char *, int)) \
	X(int, ioctl, (int, unsigned long, ...))

#define SHIM_REAL_DECLARE_(ret, name, params) \
	typedef ret (*shim_real_##name##_fn) params; \
	extern shim_real_##name##_fn shim_real_##name;
SHIM_REAL_FUNCTIONS(SHIM_REAL_DECLARE_)

#define REAL(name) shim_real_##name

/* true once shim_real_init() resolved them all */
extern volatile bool shim_real_ready;

/* resolves every REAL: the next definition after libpmemu (RTLD_NEXT),
 * else any loaded before it that is not libpmemu's; a missing one stops
 * the run. The constructor calls it first; an interposer entered before
 * it (another library's constructor) calls it then (SHIM_REAL_ENSURE). */
void shim_real_init(void);

#define SHIM_REAL_ENSURE() \
	do { \
		if (__builtin_expect(!shim_real_ready, 0)) \
			shim_real_init(); \
	} while (0)

/* a symbol of another library (libpmem, libpmem2): as for REAL, or NULL
 * when no library loaded defines it */
void *shim_real_lookup(const char *name);
/* the lowest and highest address libpmemu.so's PT_LOAD segments span,
 * found once (dl_iterate_phdr: not from a signal handler the first time) */
void shim_self_extent(uintptr_t *lo, uintptr_t *hi);

#endif
