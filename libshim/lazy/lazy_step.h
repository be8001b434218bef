/* lazy_step.h -- a fault decides the lines an instruction touches, not
 * its page (lazy_step.c) */
#ifndef PMEMU_LAZY_STEP_H
#define PMEMU_LAZY_STEP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* decoder and SIGTRAP handler; close_page(page) protects what of page is
 * still undecided, after a stepped instruction */
void lw_step_init(void (*close_page)(uintptr_t page))
	__attribute__((visibility("hidden")));
/* the instruction of uc (a ucontext_t) that faulted at addr on page will
 * run alone: the byte ranges [lo[i], hi[i]) it touches (at most max) and
 * whether it only writes each (store[i]), the trap flag set; 0 when it cannot be stepped exactly (decide the page) */
size_t lw_step_open(void *uc, uintptr_t page, uintptr_t addr,
		uintptr_t lo[], uintptr_t hi[], bool store[], size_t max)
	__attribute__((visibility("hidden")));
/* instructions are stepped: no thread started, the decoder ready */
bool lw_step_on(void) __attribute__((visibility("hidden")));
/* page is open for the instruction being stepped (a second fault on it
 * is the program's own) */
bool lw_step_is_open(uintptr_t page)
	__attribute__((visibility("hidden")));

#endif
