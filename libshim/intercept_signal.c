/*
 * intercept_signal.c -- the shim's SIGSEGV handler stays installed; the
 * program's own SIGSEGV disposition is kept here and called for every
 * fault that is not a first write to a tracked view page
 *
 * sigaction/signal for SIGSEGV record the program's wish and report the
 * previous one, as the kernel would. A fault that is not ours goes to the
 * program's handler; with SIG_DFL or SIG_IGN (which the kernel overrides
 * for a synchronous fault) the default action is restored and the fault
 * happens again on return, so it kills the process as it would have
 * without pmemu (core dump included). Never swallowed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_events.h"
#include "shim_intercept.h"

static struct sigaction prog_segv; /* the program's disposition */

static void
fault_not_ours(int sig, siginfo_t *info, void *uc)
{
	struct sigaction act = prog_segv;
	bool handler = (act.sa_flags & SA_SIGINFO) ?
		act.sa_sigaction != NULL :
		(act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN);
	if (!handler) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		shim_sigaction_real(sig, &dfl, NULL);
		if (info->si_code <= 0) /* sent by kill(): no fault to redo */
			raise(sig);
		return;
	}
	if (act.sa_flags & SA_RESETHAND)
		prog_segv.sa_handler = SIG_DFL, prog_segv.sa_flags = 0;
	sigset_t old;
	pthread_sigmask(SIG_BLOCK, &act.sa_mask, &old);
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, info, uc);
	else
		act.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
segv_handler(int sig, siginfo_t *info, void *uc)
{
	int saved = errno;
	if (info->si_code == SEGV_ACCERR && shim_active &&
			shim_dirty_fault(info->si_addr, (ucontext_t *)uc)) {
		errno = saved;
		return;
	}
	errno = saved;
	fault_not_ours(sig, info, uc);
}

SHIM_INTERCEPTOR(int, sigaction, int sig, const struct sigaction *act,
		struct sigaction *old)
{
	SHIM_ENSURE_REAL_(sigaction);
	if (sig != SIGSEGV)
		return REAL(sigaction)(sig, act, old);
	if (old != NULL)
		*old = prog_segv;
	if (act != NULL)
		prog_segv = *act;
	return 0;
}
#define INIT_SIGACTION SHIM_RESOLVE(sigaction)

SHIM_INTERCEPTOR(sighandler_t, signal, int sig, sighandler_t h)
{
	SHIM_ENSURE_REAL_(signal);
	if (sig != SIGSEGV)
		return REAL(signal)(sig, h);
	sighandler_t prev = (prog_segv.sa_flags & SA_SIGINFO) ?
		(sighandler_t)(void (*)(void))prog_segv.sa_sigaction : prog_segv.sa_handler;
	memset(&prog_segv, 0, sizeof(prog_segv));
	prog_segv.sa_handler = h;
	prog_segv.sa_flags = SA_RESTART;
	return prev;
}
#define INIT_SIGNAL SHIM_RESOLVE(signal)

int
shim_sigaction_real(int sig, const struct sigaction *act,
		struct sigaction *old)
{
	SHIM_ENSURE_REAL_(sigaction);
	return REAL(sigaction)(sig, act, old);
}

void
shim_signal_install(void)
{
	struct sigaction act;
	memset(&act, 0, sizeof(act));
	act.sa_sigaction = segv_handler;
	act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&act.sa_mask);
	if (shim_sigaction_real(SIGSEGV, &act, &prog_segv) != 0)
		shim_fatal("error: cannot install the SIGSEGV handler");
	if (prog_segv.sa_sigaction == segv_handler) /* exec'd: inherited? */
		memset(&prog_segv, 0, sizeof(prog_segv));
}

void
shim_init_signal(void)
{
	INIT_SIGACTION;
	INIT_SIGNAL;
}
