/*
 * intercept_kernel_aio.c -- the kernel's asynchronous I/O refused:
 * io_uring and Linux AIO (io_setup, io_submit). The kernel does their
 * reads and writes from a ring in shared memory or a context, with no
 * call the shim could interpose (liburing makes its system calls itself;
 * an SQPOLL ring none at all; libaio its own too). A write to a view
 * descriptor reached the view but neither the model nor the media (an
 * unsynced one was no finding, the pool file after the run lacked it),
 * an fsync through them was unseen (its file's stores reported as never
 * persisted), a read into a view page failed with EFAULT. So
 * io_uring_setup and io_setup fail with ENOSYS, as on a kernel built
 * without them, which programs that use them must handle, with one line
 * "pmemu: error: io_uring_setup: ..." the first time: a seccomp filter
 * of the shim traps the calls (SIGSYS, kept by intercept_signal.c), in
 * every process and image of the run (filters are inherited).
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

#include "intercept_kernel_aio.h"
#include "shim_fatal.h"
#include "shim_syscall.h"

/* the filter's SECCOMP_RET_DATA: its trap, not one of the program's own */
#define KAIO_TRAP_DATA 0x504d

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap */
#endif
/* x86-64 (x32 too, its bit masked) and i386 numbers of the calls */
#define NR_URING_SETUP 425     /* io_uring_setup, every ABI */
#define NR_AIO_SETUP_64 206    /* io_setup */
#define NR_AIO_SETUP_X32 543
#define NR_AIO_SETUP_32 245

/* the calls trap; every other call is allowed (a filter on the number
 * alone: the kernel caches its answers per call) */
static struct sock_filter kaio_filter[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch)),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
	/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr)),
	/* 3 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K,
		~(uint32_t)__X32_SYSCALL_BIT),
	/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_URING_SETUP, 7, 0),
	/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_AIO_SETUP_64, 6, 0),
	/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_AIO_SETUP_X32, 5, 4),
	/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
	/* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr)),
	/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_URING_SETUP, 2, 0),
	/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_AIO_SETUP_32, 1, 0),
	/* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	/* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | KAIO_TRAP_DATA),
};

/*
 * shim_kernel_aio_refuse -- the filter in place. Without CAP_SYS_ADMIN the
 * kernel takes one only with no_new_privs set, which it then sets: a
 * setuid program the run starts runs without its privileges.
 */
void
shim_kernel_aio_refuse(void)
{
	struct sock_fprog prog = {
		.len = sizeof(kaio_filter) / sizeof(kaio_filter[0]),
		.filter = kaio_filter,
	};
	if (shim_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return;
	if (errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
			shim_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
				&prog) == 0)
		return;
	shim_error("cannot refuse io_uring and Linux AIO (seccomp: errno "
		"%d): what they read and write on emulated files is not seen",
		errno);
}

/* shim_kernel_aio_sigsys -- the filter's trap: the call fails with
 * ENOSYS, said once a process for each (async-signal-safe) */
bool
shim_kernel_aio_sigsys(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	if (info->si_code != SYS_SECCOMP || info->si_errno != KAIO_TRAP_DATA)
		return false;
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
	static atomic_bool said_uring, said_aio;
	if ((info->si_syscall & ~__X32_SYSCALL_BIT) == NR_URING_SETUP) {
		if (!atomic_exchange(&said_uring, true))
			shim_error("io_uring_setup: pmemu cannot see the reads "
				"and writes io_uring does: refused (ENOSYS)");
	} else if (!atomic_exchange(&said_aio, true)) {
		shim_error("io_setup: pmemu cannot see the reads and writes "
			"Linux AIO (io_submit) does: refused (ENOSYS)");
	}
	return true;
}
