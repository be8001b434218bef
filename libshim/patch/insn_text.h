/*
 * insn_text.h -- a writable window over code pages, kept open across the
 * sites of one object so that adjacent sites share one pair of mprotects;
 * private to insn_*.c
 */
#ifndef PMEMU_INSN_TEXT_H
#define PMEMU_INSN_TEXT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the pages [lo, hi) made writable, to go back to prot when closed */
struct text_window {
	uintptr_t lo, hi;   /* hi == 0: nothing open */
	int prot;
	bool exec;          /* kept executable while open (W+X allowed) */
	unsigned calls;     /* mprotects made: for tests */
};

/*
 * text_window_cover -- the pages under [at, at + n) writable, their
 * protection otherwise prot: the open window grows over them when they
 * touch it and have its prot, else it is closed and one opened; 0 or
 * -errno (the window is then closed)
 */
int text_window_cover(struct text_window *w, uintptr_t at, size_t n,
		int prot);
/* text_window_close -- the window's pages back to their protection */
void text_window_close(struct text_window *w);

#endif
