/*
 * shim_step.h -- single-stepping the store that faulted on a view page,
 * so the page can be protected again right after it (shim_step.c)
 */
#ifndef PMEMU_SHIM_STEP_H
#define PMEMU_SHIM_STEP_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#define SHIM_STEP_PAGES 4 /* pages one instruction's faults may open */

/*
 * the write fault in uc opened `page`: trap once the faulting
 * instruction has run (the trap flag of the interrupted context). False,
 * and nothing armed, when the thread blocks SIGTRAP (the kernel would
 * kill it) or already waits for SHIM_STEP_PAGES pages. Signal handler.
 */
bool shim_step_arm(ucontext_t *uc, uintptr_t page);
/*
 * a step could be armed in uc and the program does not step itself (no
 * trap flag set: a trap it waits for would be lost if the store ran in
 * the handler instead). Signal handler.
 */
bool shim_step_free(const ucontext_t *uc);
/*
 * a SIGTRAP: if it is the single step armed on this thread, the pages
 * opened (at most SHIM_STEP_PAGES) go to pages, the trap flag is
 * cleared unless the program had set it itself (then *program: pass the
 * trap on to its handler too), and the count is returned; 0 otherwise.
 */
size_t shim_step_take(const siginfo_t *si, ucontext_t *uc, uintptr_t *pages,
		bool *program);

#endif
