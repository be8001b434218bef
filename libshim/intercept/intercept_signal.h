/*
 * intercept_signal.h -- the shim's SIGSEGV/SIGTRAP handlers (intercept_signal.c)
 */
#ifndef PMEMU_SHIM_INTERCEPT_SIGNAL_H
#define PMEMU_SHIM_INTERCEPT_SIGNAL_H 1

#include <signal.h>

/* installs the SIGSEGV handler (intercept_signal.c) */
void shim_signal_install(void);
/* the real sigaction, for the shim's own handler */
int shim_sigaction_real(int sig, const struct sigaction *act,
		struct sigaction *old);

#endif
