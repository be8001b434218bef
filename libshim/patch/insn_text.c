/*
 * insn_text.c -- the writable window over code that patching writes in
 *
 * Patching an object writes a few bytes at each of its sites, and many
 * sites share a page. Each page is made writable while kept executable
 * (another thread may be running it), so writing one site or a run of
 * them in the same pages needs the same protections: the window stays
 * open over a run of adjacent pages, one mprotect to open each page and
 * one to close the run, instead of two per written range. Pages that hold
 * no site are never touched. A system that refuses W+X gets a write-only
 * window, which the caller closes after each write, so code other threads
 * may run is not left unexecutable any longer than before.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "insn_text.h"
#include "shim_syscall.h"

#define PAGE_LEN 4096u

/* set_prot -- mprotect as a raw call, past any interposer */
static int
set_prot(struct text_window *w, uintptr_t lo, uintptr_t hi, int prot)
{
	w->calls++;
	return shim_syscall(SYS_mprotect, lo, hi - lo, prot) == 0 ? 0 : -errno;
}

void
text_window_close(struct text_window *w)
{
	if (w->hi != 0)
		set_prot(w, w->lo, w->hi, w->prot);
	w->lo = w->hi = 0;
}

/* open_new -- [lo, hi) writable, executable too when the system allows */
static int
open_new(struct text_window *w, uintptr_t lo, uintptr_t hi, int prot)
{
	int err = set_prot(w, lo, hi, prot | PROT_WRITE);
	w->exec = err == 0;
	if (err < 0)
		err = set_prot(w, lo, hi, PROT_READ | PROT_WRITE);
	if (err < 0)
		return err;
	w->lo = lo;
	w->hi = hi;
	w->prot = prot;
	return 0;
}

int
text_window_cover(struct text_window *w, uintptr_t at, size_t n, int prot)
{
	uintptr_t lo = at & ~(uintptr_t)(PAGE_LEN - 1);
	uintptr_t hi = ((at + n - 1) & ~(uintptr_t)(PAGE_LEN - 1)) + PAGE_LEN;
	if (w->hi != 0 && w->exec && prot == w->prot && lo <= w->hi &&
			hi >= w->lo) {
		/* touching or inside: open only the pages it lacks */
		if (lo < w->lo) {
			if (set_prot(w, lo, w->lo, prot | PROT_WRITE) < 0)
				goto reopen;
			w->lo = lo;
		}
		if (hi > w->hi) {
			if (set_prot(w, w->hi, hi, prot | PROT_WRITE) < 0)
				goto reopen;
			w->hi = hi;
		}
		return 0;
	}
reopen:
	text_window_close(w);
	int err = open_new(w, lo, hi, prot);
	if (err < 0)
		w->lo = w->hi = 0;
	return err;
}
