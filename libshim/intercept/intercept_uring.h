/*
 * intercept_uring.h -- io_uring refused (intercept_uring.c)
 */
#ifndef PMEMU_SHIM_INTERCEPT_URING_H
#define PMEMU_SHIM_INTERCEPT_URING_H 1

#include <signal.h>
#include <stdbool.h>

/* installs the seccomp filter that traps io_uring_setup */
void shim_uring_refuse(void);
/* the SIGSYS of that trap: the call fails with ENOSYS; false: not ours */
bool shim_uring_sigsys(int sig, siginfo_t *info, void *uc);

#endif
