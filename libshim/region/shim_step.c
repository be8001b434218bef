/*
 * shim_step.c -- single-stepping the store that faulted on a view page
 *
 * The fault handler sets the trap flag (EFLAGS.TF) in the context it
 * returns to: the faulting instruction runs again, and the CPU raises a
 * debug trap right after it (SIGTRAP, si_code TRAP_TRACE; int3 sites
 * raise SI_KERNEL). What the trap must do is kept per thread, because
 * the trap comes on the thread that faulted. One instruction may open up
 * to SHIM_STEP_PAGES pages (a store across a page boundary, a string
 * move); a program that single-steps itself keeps its flag and its traps.
 * Everything here runs in signal handlers: no lock, no allocation.
 */
#include <string.h>

#include "shim_step.h"

#define EFLAGS_TF 0x100ull

struct step_wait {
	size_t n;                        /* pages opened, armed */
	bool program;                    /* the program set TF itself */
	uintptr_t page[SHIM_STEP_PAGES];
};

static __thread struct step_wait wait_of_thread
	__attribute__((tls_model("initial-exec")));

static bool
flag_set(const ucontext_t *uc)
{
	return ((uint64_t)uc->uc_mcontext.gregs[REG_EFL] & EFLAGS_TF) != 0;
}

bool
shim_step_arm(ucontext_t *uc, uintptr_t page)
{
	struct step_wait *w = &wait_of_thread;
	/* a blocked (synchronous) SIGTRAP is fatal: the kernel resets it */
	if (sigismember(&uc->uc_sigmask, SIGTRAP) == 1)
		return false;
	if (!flag_set(uc)) {
		w->n = 0; /* a step left behind (a handler jumped away) */
		w->program = false;
	} else if (w->n == 0) {
		w->program = true;
	}
	for (size_t i = 0; i < w->n; i++)
		if (w->page[i] == page)
			return true;
	if (w->n == SHIM_STEP_PAGES)
		return false;
	w->page[w->n++] = page;
	uc->uc_mcontext.gregs[REG_EFL] |= (greg_t)EFLAGS_TF;
	return true;
}

bool
shim_step_free(const ucontext_t *uc)
{
	return sigismember(&uc->uc_sigmask, SIGTRAP) != 1 && !flag_set(uc);
}

size_t
shim_step_take(const siginfo_t *si, ucontext_t *uc, uintptr_t *pages,
		bool *program)
{
	struct step_wait *w = &wait_of_thread;
	if (si == NULL || si->si_code != TRAP_TRACE || w->n == 0 ||
			!flag_set(uc))
		return 0;
	size_t n = w->n;
	memcpy(pages, w->page, n * sizeof(pages[0]));
	*program = w->program;
	if (!w->program)
		uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)EFLAGS_TF;
	w->n = 0;
	w->program = false;
	return n;
}
