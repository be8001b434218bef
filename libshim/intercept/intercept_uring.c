/*
 * intercept_uring.c -- io_uring refused: the kernel does its reads and
 * writes from a ring in shared memory, with no call the shim could
 * interpose (liburing makes its system calls itself; an SQPOLL ring none
 * at all). A write to a view descriptor reached the view but neither the
 * model nor the media (an unsynced one was no finding, the pool file
 * after the run lacked it), an fsync through the ring was unseen (its
 * file's stores reported as never persisted), a read into a view page
 * failed with EFAULT. So io_uring_setup fails with ENOSYS, as on a kernel
 * without io_uring, which programs that use it must handle, with one
 * line "pmemu: error: io_uring_setup: ..." the first time: a seccomp
 * filter of the shim traps the call (SIGSYS, kept by intercept_signal.c),
 * in every process and image of the run (filters are inherited).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "intercept_uring.h"
#include "shim_fatal.h"

/* the filter's SECCOMP_RET_DATA: its trap, not one of the program's own */
#define URING_TRAP_DATA 0x504d

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap */
#endif
#define URING_SETUP_NR 425 /* io_uring_setup, x86-64 and i386 alike */

/* io_uring_setup of either ABI traps; every other call is allowed (a
 * filter on the number alone: the kernel caches its answers per call) */
static struct sock_filter uring_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr)),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)__X32_SYSCALL_BIT),
	BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 2),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, URING_SETUP_NR, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | URING_TRAP_DATA),
};

/*
 * shim_uring_refuse -- the filter in place. Without CAP_SYS_ADMIN the
 * kernel takes one only with no_new_privs set, which it then sets: a
 * setuid program the run starts runs without its privileges.
 */
void
shim_uring_refuse(void)
{
	struct sock_fprog prog = {
		.len = sizeof(uring_filter) / sizeof(uring_filter[0]),
		.filter = uring_filter,
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return;
	if (errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
			syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
				&prog) == 0)
		return;
	shim_error("cannot refuse io_uring (seccomp: errno %d): what it "
		"reads and writes on emulated files is not seen", errno);
}

/* shim_uring_sigsys -- the filter's trap: the call fails with ENOSYS,
 * said once a process (async-signal-safe) */
bool
shim_uring_sigsys(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	if (info->si_code != SYS_SECCOMP || info->si_errno != URING_TRAP_DATA)
		return false;
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
	static atomic_bool said;
	if (!atomic_exchange(&said, true))
		shim_error("io_uring_setup: pmemu cannot see the reads and "
			"writes io_uring does: refused (ENOSYS)");
	return true;
}
