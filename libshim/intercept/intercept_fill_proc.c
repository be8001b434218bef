/*
 * intercept_fill_proc.c -- calls about processes, signals and time whose
 * answer the kernel writes into the caller's memory (wait's status,
 * uname, rlimits, signal masks, timers, clocks): a buffer in emulated
 * pmem is opened first (intercept_fill.h), else the call failed with
 * EFAULT under pmemu (wait reaped the child and lost its status)
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "intercept_fill.h"

SHIM_INTERCEPTOR(pid_t, wait, int *status)
{
	FILL_CALL(pid_t, wait, SYS_wait4, (-1, L(status), 0, 0), status);
}

SHIM_INTERCEPTOR(pid_t, waitpid, pid_t pid, int *status, int options)
{
	FILL_CALL(pid_t, waitpid, SYS_wait4, (pid, L(status), options, 0), pid,
		status, options);
}

SHIM_INTERCEPTOR(pid_t, wait3, int *status, int options, struct rusage *ru)
{
	FILL_CALL(pid_t, wait3, SYS_wait4, (-1, L(status), options, L(ru)),
		status, options, ru);
}

SHIM_INTERCEPTOR(pid_t, wait4, pid_t pid, int *status, int options,
		struct rusage *ru)
{
	FILL_CALL(pid_t, wait4, SYS_wait4, (pid, L(status), options, L(ru)),
		pid, status, options, ru);
}

SHIM_INTERCEPTOR(int, waitid, idtype_t type, id_t id, siginfo_t *info,
		int options)
{
	FILL_CALL(int, waitid, SYS_waitid, (type, id, L(info), options, 0),
		type, id, info, options);
}

SHIM_INTERCEPTOR(int, uname, struct utsname *buf)
{
	FILL_CALL(int, uname, SYS_uname, (L(buf)), buf);
}

SHIM_INTERCEPTOR(int, sysinfo, struct sysinfo *info)
{
	FILL_CALL(int, sysinfo, SYS_sysinfo, (L(info)), info);
}

SHIM_INTERCEPTOR(int, getrusage, __rusage_who_t who, struct rusage *ru)
{
	FILL_CALL(int, getrusage, SYS_getrusage, (who, L(ru)), who, ru);
}

SHIM_INTERCEPTOR(int, getrlimit, __rlimit_resource_t resource, struct rlimit *rl)
{
	FILL_CALL(int, getrlimit, SYS_getrlimit, (resource, L(rl)), resource,
		rl);
}

SHIM_INTERCEPTOR(int, getrlimit64, __rlimit_resource_t resource, struct rlimit64 *rl)
{
	FILL_CALL(int, getrlimit64, SYS_getrlimit, (resource, L(rl)),
		resource, rl);
}

SHIM_INTERCEPTOR(int, prlimit, pid_t pid, __rlimit_resource_t resource,
		const struct rlimit *rl, struct rlimit *old)
{
	FILL_CALL(int, prlimit, SYS_prlimit64, (pid, resource, 0, L(old)),
		pid, resource, rl, old);
}

SHIM_INTERCEPTOR(int, prlimit64, pid_t pid,
		__rlimit_resource_t resource,
		const struct rlimit64 *rl, struct rlimit64 *old)
{
	FILL_CALL(int, prlimit64, SYS_prlimit64, (pid, resource, 0, L(old)),
		pid, resource, rl, old);
}

SHIM_INTERCEPTOR(clock_t, times, struct tms *buf)
{
	FILL_CALL(clock_t, times, SYS_times, (L(buf)), buf);
}

SHIM_INTERCEPTOR(int, sched_getaffinity, pid_t pid, size_t size,
		cpu_set_t *set)
{
	FILL_CALL(int, sched_getaffinity, SYS_sched_getaffinity,
		(pid, (long)size, L(set)), pid, size, set);
}

SHIM_INTERCEPTOR(int, getgroups, int n, gid_t *list)
{
	FILL_CALL(int, getgroups, SYS_getgroups, (n, L(list)), n, list);
}

SHIM_INTERCEPTOR(int, getresuid, uid_t *r, uid_t *e, uid_t *s)
{
	FILL_CALL(int, getresuid, SYS_getresuid, (L(r), L(e), L(s)), r, e, s);
}

SHIM_INTERCEPTOR(int, getresgid, gid_t *r, gid_t *e, gid_t *s)
{
	FILL_CALL(int, getresgid, SYS_getresgid, (L(r), L(e), L(s)), r, e, s);
}

/* the kernel's sigset_t: 64 signals */
#define KSIGSET 8

SHIM_INTERCEPTOR(int, sigprocmask, int how, const sigset_t *set,
		sigset_t *old)
{
	FILL_CALL(int, sigprocmask, SYS_rt_sigprocmask,
		(how, L(set), L(old), KSIGSET), how, set, old);
}

SHIM_INTERCEPTOR(int, pthread_sigmask, int how, const sigset_t *set,
		sigset_t *old)
{
	FILL_CALL(int, pthread_sigmask, SYS_rt_sigprocmask,
		(how, L(set), L(old), KSIGSET), how, set, old);
}

SHIM_INTERCEPTOR(int, sigpending, sigset_t *set)
{
	FILL_CALL(int, sigpending, SYS_rt_sigpending, (L(set), KSIGSET), set);
}

SHIM_INTERCEPTOR(int, sigtimedwait, const sigset_t *set, siginfo_t *info,
		const struct timespec *timeout)
{
	FILL_CALL(int, sigtimedwait, SYS_rt_sigtimedwait, (L(set), L(info)),
		set, info, timeout);
}

SHIM_INTERCEPTOR(int, sigwaitinfo, const sigset_t *set, siginfo_t *info)
{
	FILL_CALL(int, sigwaitinfo, SYS_rt_sigtimedwait, (L(set), L(info)),
		set, info);
}

SHIM_INTERCEPTOR(int, sigaltstack, const stack_t *ss, stack_t *old)
{
	FILL_CALL(int, sigaltstack, SYS_sigaltstack, (L(ss), L(old)), ss,
		old);
}

SHIM_INTERCEPTOR(int, nanosleep, const struct timespec *req,
		struct timespec *rem)
{
	FILL_CALL(int, nanosleep, SYS_nanosleep, (L(req), L(rem)), req, rem);
}

SHIM_INTERCEPTOR(int, clock_nanosleep, clockid_t clock, int flags,
		const struct timespec *req, struct timespec *rem)
{
	FILL_CALL(int, clock_nanosleep, SYS_clock_nanosleep,
		(clock, flags, L(req), L(rem)), clock, flags, req, rem);
}

/* the vDSO answers most clocks from user space (a store that faults as
 * any other); a CPU-time clock, or any clock when the clock source is
 * not the vDSO's, is a system call, whose copy_to_user into a read-only
 * view page fails with EFAULT */
SHIM_INTERCEPTOR(int, clock_gettime, clockid_t clock, struct timespec *tp)
{
	FILL_CALL_ONE(tp, int, clock_gettime, SYS_clock_gettime,
		(clock, L(tp)), clock, tp);
}

SHIM_INTERCEPTOR(int, clock_getres, clockid_t clock, struct timespec *res)
{
	FILL_CALL_ONE(res, int, clock_getres, SYS_clock_getres,
		(clock, L(res)), clock, res);
}

SHIM_INTERCEPTOR(int, getitimer, __itimer_which_t which, struct itimerval *cur)
{
	FILL_CALL(int, getitimer, SYS_getitimer, (which, L(cur)), which, cur);
}

SHIM_INTERCEPTOR(int, setitimer, __itimer_which_t which, const struct itimerval *val,
		struct itimerval *old)
{
	FILL_CALL(int, setitimer, SYS_setitimer, (which, L(val), L(old)),
		which, val, old);
}

SHIM_INTERCEPTOR(int, timer_gettime, timer_t timer, struct itimerspec *cur)
{
	FILL_CALL(int, timer_gettime, SYS_timer_gettime, (0, L(cur)), timer,
		cur);
}

SHIM_INTERCEPTOR(int, timer_settime, timer_t timer, int flags,
		const struct itimerspec *val, struct itimerspec *old)
{
	FILL_CALL(int, timer_settime, SYS_timer_settime,
		(0, flags, L(val), L(old)), timer, flags, val, old);
}

SHIM_INTERCEPTOR(int, timerfd_gettime, int fd, struct itimerspec *cur)
{
	FILL_CALL(int, timerfd_gettime, SYS_timerfd_gettime, (fd, L(cur)), fd,
		cur);
}

SHIM_INTERCEPTOR(int, timerfd_settime, int fd, int flags,
		const struct itimerspec *val, struct itimerspec *old)
{
	FILL_CALL(int, timerfd_settime, SYS_timerfd_settime,
		(fd, flags, L(val), L(old)), fd, flags, val, old);
}
