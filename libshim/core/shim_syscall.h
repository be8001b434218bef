/*
 * shim_syscall.h -- the shim's own system calls, made by its own
 * instruction: glibc's syscall() is interposed (intercept_syscall.c,
 * which sends the program's file calls to their interposers), and the
 * shim's raw calls (a write from a signal handler, an mprotect of code)
 * must reach the kernel and nothing else, before its REALs resolve too
 */
#ifndef PMEMU_SHIM_SYSCALL_H
#define PMEMU_SHIM_SYSCALL_H 1

#include <errno.h>
#include <sys/syscall.h>

/* shim_syscall6 -- system call nr; -1 and errno on failure, as glibc's */
static inline long
shim_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b),
		"d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

#define SHIM_SYSCALL_ARGS(nr, a, b, c, d, e, f, ...) \
	shim_syscall6((long)(nr), (long)(a), (long)(b), (long)(c), \
		(long)(d), (long)(e), (long)(f))
/* shim_syscall(SYS_x, args...) -- syscall() of the shim's own */
#define shim_syscall(...) SHIM_SYSCALL_ARGS(__VA_ARGS__, 0, 0, 0, 0, 0, 0)

#endif
