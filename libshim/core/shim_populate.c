/*
 * shim_populate.c -- a sequential pass's first touches in batches
 * (shim_populate.h)
 *
 * A program that walks its pool writes each page first once: a page
 * fault each in every mapping the write goes through (the view's alias,
 * the media; the view read for a twin), an exception beside the page's
 * clearing. As the kernel's readahead does for reads, a writer that has
 * written SHIM_POPULATE_RUN pages in a row gets the page it writes and
 * the next ones populated by one madvise(MADV_POPULATE_WRITE), or
 * MADV_POPULATE_READ for a protected view: Linux >= 5.14; before, or on
 * a mapping of a device's pages, EINVAL, and nothing is done for that
 * writer again (the faults stay). The batch doubles while the run goes
 * on, up to SHIM_POPULATE_BATCH_MAX pages, and never takes more pages
 * than the run has written: a run populates at most min(its length,
 * SHIM_POPULATE_BATCH_MAX) pages past its end, and a program that writes
 * here and there, no run as long as SHIM_POPULATE_RUN, pays nothing. The
 * pages populated last are remembered, so a later pass over them makes
 * no call.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_populate.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096u

static uint64_t calls;

uint64_t
shim_populate_calls(void)
{
	return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}

void
shim_populate_page(struct shim_populate *p, uintptr_t addr, uintptr_t lo,
		uintptr_t hi)
{
	uintptr_t pg = addr & ~(uintptr_t)(PAGE - 1);
	if (pg + PAGE == p->next)
		return; /* the page written last */
	if (pg != p->next) {
		p->run_lo = pg;
		p->batch = SHIM_POPULATE_BATCH_MIN;
	}
	p->next = pg + PAGE;
	uintptr_t run = (pg - p->run_lo) / PAGE + 1; /* pages, this one too */
	if (run < SHIM_POPULATE_RUN || p->off || pg < lo || pg >= hi)
		return;
	uintptr_t n = run < p->batch ? run : p->batch;
	uintptr_t end = hi - pg > n * PAGE ? pg + n * PAGE : hi;
	int saved = errno; /* the program's */
	int ret = REAL(madvise)((void *)pg, end - pg, p->read ?
		MADV_POPULATE_READ : MADV_POPULATE_WRITE);
	if (ret != 0 && errno == EINVAL)
		p->off = true;
	errno = saved;
	if (ret != 0)
		return; /* no room (tmpfs full...): the stores fault as before */
	__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	if (pg != p->done_hi)
		p->done_lo = pg;
	p->done_hi = end;
	p->next = end;
	if (p->batch < SHIM_POPULATE_BATCH_MAX)
		p->batch *= 2;
}
