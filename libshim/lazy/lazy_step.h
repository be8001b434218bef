/* lazy_step.h -- a fault decides the lines an instruction touches, not
 * its page (lazy_step.c) */
#ifndef PMEMU_LAZY_STEP_H
#define PMEMU_LAZY_STEP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libc's pthread_create, once (the constructor: not per served child) */
void lw_step_resolve(void) __attribute__((visibility("hidden")));
/* the SIGTRAP handler; close_page(page) protects what of page is still
 * undecided, after a stepped instruction. Nothing is stepped before
 * lw_step_arm. */
void lw_step_init(void (*close_page)(uintptr_t page))
	__attribute__((visibility("hidden")));
/* stepping on, the decoder loaded (lazy_decoder.c): at a mapping of an
 * image file, before its pages are protected; not in a signal handler.
 * Stays off once the process started a thread. */
void lw_step_arm(void) __attribute__((visibility("hidden")));
/* the instruction of uc (a ucontext_t) that faulted at addr on page will
 * run alone: the byte ranges [lo[i], hi[i]) it touches (at most max) and
 * whether it only writes each (store[i]), the trap flag set; 0 when it
 * cannot be stepped exactly (decide the page), or the page faulted too
 * often for the branches its watched lines could start */
size_t lw_step_open(void *uc, uintptr_t page, uintptr_t addr,
		uintptr_t lo[], uintptr_t hi[], bool store[], size_t max,
		unsigned long branches)
	__attribute__((visibility("hidden")));
/* after lw_step_open and the page opened with prot: the instruction runs
 * in the handler when lazy_emul.c can run it, its pages closed; else the
 * trap flag steps it */
void lw_step_run(void *uc, int prot) __attribute__((visibility("hidden")));
/* the pc a fault at pc stands for: the check's rep string instruction
 * when the handler is running it (lw_step_run) */
uintptr_t lw_step_pc(uintptr_t pc) __attribute__((visibility("hidden")));
/* a fault of the check's own (not on an image page, or one the page's
 * protection forbids) hit the handler's run of its rep string
 * instruction: it stops there and is stepped from there; false when the
 * fault is not that */
bool lw_step_give_back(void *uc) __attribute__((visibility("hidden")));
/* the check started a thread (pthread_create) */
bool lw_step_threaded(void) __attribute__((visibility("hidden")));
/* instructions are stepped: no thread started, the decoder ready */
bool lw_step_on(void) __attribute__((visibility("hidden")));
/* page is open for the instruction being stepped (a second fault on it
 * is the program's own) */
bool lw_step_is_open(uintptr_t page)
	__attribute__((visibility("hidden")));

#endif
