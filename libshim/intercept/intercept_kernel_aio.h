/*
 * intercept_kernel_aio.h -- io_uring and Linux AIO refused
 * (intercept_kernel_aio.c)
 */
#ifndef PMEMU_SHIM_INTERCEPT_KERNEL_AIO_H
#define PMEMU_SHIM_INTERCEPT_KERNEL_AIO_H 1

#include <signal.h>
#include <stdbool.h>

/* installs the seccomp filter that traps io_uring_setup and io_setup */
void shim_kernel_aio_refuse(void);
/* the SIGSYS of that trap: the call fails with ENOSYS; false: not ours */
bool shim_kernel_aio_sigsys(int sig, siginfo_t *info, void *uc);

#endif
