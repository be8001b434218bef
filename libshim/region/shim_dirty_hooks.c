/*
 * shim_dirty_hooks.c -- what page-protection tracking asks of the layers
 * above it through hooks main.c registers: the protection a view page
 * may have (a poisoned page stays PROT_NONE), and the opening of a
 * sequential writer's next page when a flush found the last line of a
 * page changed; the running of a faulting store in the handler instead
 * of its step, and the finding of the store after it; and the
 * protection a page has now
 */
#include <sys/mman.h>

#include "shim_dirty.h"
#include "shim_dirty_impl.h"
#include "shim_prog_prot.h"

/* what a page of a mapping may be opened to, given what dirty tracking
 * and the program's own protection want (a poisoned page stays
 * PROT_NONE: shim_poison.c); identity until main.c registers the hook */
static int
prot_as_is(const struct shim_mapping *m, uintptr_t page, int prot)
{
	(void)m, (void)page;
	return prot;
}

static int (*page_prot)(const struct shim_mapping *m, uintptr_t page,
		int prot) = prot_as_is;

int
shim_dirty_prot(const struct shim_mapping *m, uintptr_t page, int prot)
{
	return page_prot(m, page, shim_prog_prot_filter(m, page, prot));
}

int
shim_dirty_readable_prot(const struct shim_mapping *m, uintptr_t page)
{
	return page_prot(m, page, PROT_READ);
}

void
shim_dirty_set_prot_hook(int (*fn)(const struct shim_mapping *m,
		uintptr_t page, int prot))
{
	page_prot = fn;
}

/* what a flush that found the last line of a page changed calls: the
 * opening of a sequential writer's next page (shim_dirty_open_next,
 * shim_dirty_fault.c, which calls shim_dirty.c: a hook, registered by
 * main.c, breaks the cycle); nothing until then */
static void (*last_line_flushed)(struct shim_mapping *m, size_t pg);

void
shim_dirty_set_last_line_hook(void (*fn)(struct shim_mapping *m, size_t pg))
{
	last_line_flushed = fn;
}

void
shim_dirty_last_line_flushed(struct shim_mapping *m, size_t pg)
{
	if (last_line_flushed != NULL)
		last_line_flushed(m, pg);
}

/* what runs a faulting store in the write-fault handler instead of
 * stepping it (insn_store_run, a layer above); none until main.c
 * registers it, or none at all (PMEMU_STEP_EMUL=0): every such store is
 * stepped */
static bool (*store_runner)(ucontext_t *uc, uintptr_t addr, uintptr_t page,
		uintptr_t to);

void
shim_dirty_set_store_hook(bool (*fn)(ucontext_t *uc, uintptr_t addr,
		uintptr_t page, uintptr_t to))
{
	store_runner = fn;
}

bool
shim_dirty_runs_stores(void)
{
	return store_runner != NULL;
}

bool
shim_dirty_run_store(ucontext_t *uc, uintptr_t addr, uintptr_t page,
		uintptr_t to)
{
	return store_runner != NULL && store_runner(uc, addr, page, to);
}

/* what finds the store right after one the handler ran (insn_store_next,
 * a layer above), to be taken as its own fault would be; none until
 * main.c registers it: each such store faults */
static bool (*next_store)(const ucontext_t *uc, uintptr_t from_pc,
		uintptr_t *ea);

void
shim_dirty_set_next_store_hook(bool (*fn)(const ucontext_t *uc,
		uintptr_t from_pc, uintptr_t *ea))
{
	next_store = fn;
}

bool
shim_dirty_next_store(const ucontext_t *uc, uintptr_t from_pc, uintptr_t *ea)
{
	return next_store != NULL && next_store(uc, from_pc, ea);
}

int
shim_dirty_page_prot(const struct shim_mapping *m, uintptr_t page)
{
	if (!m->tracked)
		return m->prot;
	size_t pg = (page - m->base) / SHIM_PAGE_LEN;
	return shim_prog_prot_filter(m, page, __atomic_load_n(
		&m->page_state[pg], __ATOMIC_ACQUIRE) == SHIM_PAGE_DIRTY ?
		m->prot : (m->prot & ~PROT_WRITE));
}
