/*
 * intercept_signal.c -- the shim's SIGSEGV and SIGTRAP handlers stay
 * installed; the program's own dispositions of those signals are kept
 * here and called for every signal that is not the shim's
 *
 * SIGSEGV: first writes to tracked view pages (shim_dirty_fault.c).
 * SIGTRAP: the single step of the store that faulted (TRAP_TRACE,
 * shim_dirty_fault.c), or the int3 of a patched flush, fence or streaming
 * store (SI_KERNEL, insn_trap.c).
 * SIGSYS: the seccomp trap of io_uring_setup and io_setup
 * (intercept_kernel_aio.c). For
 * both, sigaction/signal record the program's wish and report the
 * previous one, as the kernel would. A signal that is not ours goes to
 * the program's handler; with SIG_DFL (or SIG_IGN, which the kernel
 * overrides for a synchronous fault) the default action is restored and
 * the fault happens again on return (a trap is raised again, as int3 does
 * not repeat), so it kills the process as it would have without pmemu
 * (core dump included). Never swallowed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "insn.h"
#include "insn_trap.h"
#include "intercept_signal.h"
#include "intercept_kernel_aio.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_events.h"
#include "shim_intercept.h"
#include "shim_poison.h"

/* a signal the shim keeps for itself, and what the program asked for */
struct kept_signal {
	int sig;
	struct sigaction prog;     /* the program's disposition */
	bool (*ours)(int sig, siginfo_t *info, void *uc);
};

static bool segv_ours(int sig, siginfo_t *info, void *uc);
static bool trap_ours(int sig, siginfo_t *info, void *uc);

static struct kept_signal kept[] = {
	{ .sig = SIGSEGV, .ours = segv_ours },
	{ .sig = SIGTRAP, .ours = trap_ours },
	{ .sig = SIGSYS, .ours = shim_kernel_aio_sigsys },
};

#define NKEPT (sizeof(kept) / sizeof(kept[0]))

static struct kept_signal *
kept_of(int sig)
{
	for (size_t i = 0; i < NKEPT; i++)
		if (kept[i].sig == sig)
			return &kept[i];
	return NULL;
}

/* segv_ours -- an access to a page holding a poisoned line (SIGBUS for
 * a load of the line, else one step with the page open: at any time,
 * the shim's own reads at exit included), or the first write to a
 * tracked view page: recorded, resume */
static bool
segv_ours(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	if (info->si_code != SEGV_ACCERR)
		return false;
	if (shim_poison_fault(info->si_addr, (ucontext_t *)uc))
		return true;
	return shim_active && shim_dirty_fault(info->si_addr,
		(ucontext_t *)uc);
}

/* trap_ours -- the end of a poisoned page's single step, the single
 * step after a write fault (page protected again), or a patched
 * instruction (emulated, rip moved past it) */
static bool
trap_ours(int sig, siginfo_t *info, void *uc)
{
	return shim_poison_stepped(info, (ucontext_t *)uc) ||
		shim_dirty_step_trap(info, (ucontext_t *)uc) ||
		shim_insn_sigtrap(sig, info, uc);
}

/* default_action -- as if the program had no handler for k->sig */
static void
default_action(const struct kept_signal *k, siginfo_t *info)
{
	bool sent = info->si_code <= 0; /* kill(), raise(): no fault to redo */
	if (sent && k->prog.sa_handler == SIG_IGN &&
			!(k->prog.sa_flags & SA_SIGINFO))
		return;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	shim_sigaction_real(k->sig, &dfl, NULL);
	/* a fault repeats on return; a trap, a system call's SIGSYS or a
	 * sent signal does not */
	if (sent || k->sig != SIGSEGV)
		raise(k->sig);
}

static void
not_ours(struct kept_signal *k, siginfo_t *info, void *uc)
{
	struct sigaction act = k->prog;
	bool handler = (act.sa_flags & SA_SIGINFO) ?
		act.sa_sigaction != NULL :
		(act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN);
	if (!handler) {
		default_action(k, info);
		return;
	}
	if (act.sa_flags & SA_RESETHAND)
		k->prog.sa_handler = SIG_DFL, k->prog.sa_flags = 0;
	sigset_t old;
	REAL(pthread_sigmask)(SIG_BLOCK, &act.sa_mask, &old);
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(k->sig, info, uc);
	else
		act.sa_handler(k->sig);
	REAL(pthread_sigmask)(SIG_SETMASK, &old, NULL);
}

static void
kept_handler(int sig, siginfo_t *info, void *uc)
{
	int saved = errno;
	struct kept_signal *k = kept_of(sig);
	bool ours = k->ours(sig, info, uc);
	errno = saved;
	if (!ours)
		not_ours(k, info, uc);
}

SHIM_INTERCEPTOR(int, sigaction, int sig, const struct sigaction *act,
		struct sigaction *old)
{
	SHIM_REAL_ENSURE();
	struct kept_signal *k = kept_of(sig);
	if (k == NULL)
		return REAL(sigaction)(sig, act, old);
	if (old != NULL)
		*old = k->prog;
	if (act != NULL)
		k->prog = *act;
	return 0;
}

SHIM_INTERCEPTOR(sighandler_t, signal, int sig, sighandler_t h)
{
	SHIM_REAL_ENSURE();
	struct kept_signal *k = kept_of(sig);
	if (k == NULL)
		return REAL(signal)(sig, h);
	sighandler_t prev = (k->prog.sa_flags & SA_SIGINFO) ?
		(sighandler_t)(void (*)(void))k->prog.sa_sigaction :
		k->prog.sa_handler;
	memset(&k->prog, 0, sizeof(k->prog));
	k->prog.sa_handler = h;
	k->prog.sa_flags = SA_RESTART;
	return prev;
}

int
shim_sigaction_real(int sig, const struct sigaction *act,
		struct sigaction *old)
{
	SHIM_REAL_ENSURE();
	return REAL(sigaction)(sig, act, old);
}

/*
 * shim_signal_install -- our handlers in place, the dispositions found
 * there kept as the program's. SIGTRAP: SA_NODEFER and an empty mask, as
 * insn_trap.c needs (a handler the program runs inside ours may meet a
 * patched site; an emulated store may fault on a view page); no
 * SA_ONSTACK: the emulation unwinds, more than an alternate stack holds.
 */
void
shim_signal_install(void)
{
	for (size_t i = 0; i < NKEPT; i++) {
		struct sigaction act;
		memset(&act, 0, sizeof(act));
		act.sa_sigaction = kept_handler;
		act.sa_flags = SA_SIGINFO | SA_RESTART | (kept[i].sig ==
			SIGTRAP ? SA_NODEFER : SA_ONSTACK);
		sigemptyset(&act.sa_mask);
		struct kept_signal *k = &kept[i];
		if (shim_sigaction_real(k->sig, &act, &k->prog) != 0)
			shim_fatal("cannot install the signal %d handler",
				k->sig);
		if (k->prog.sa_sigaction == kept_handler) /* inherited? */
			memset(&k->prog, 0, sizeof(k->prog));
	}
}

