/*
 * shim_mprotect.c -- the program's own mprotect and pkey_mprotect
 * (docs/shim.md, "The program's own protection")
 *
 * Page-protection tracking keeps a clean page read-only so that its first
 * write faults to the shim. A program that made its pages writable again
 * behind the shim's back would store unseen (a missed bug); one that made
 * them read-only or PROT_NONE would have its stores let through by the
 * shim's fault handler (no SIGSEGV, as it gets natively). So where the
 * range meets a tracked mapping, its pages are settled first (their
 * stores so far become events), the real call gives them the program's
 * protection without the write bit, and the program's protection is kept
 * per page (region/shim_prog_prot.c): every later opening of a page
 * respects it. A mapping made without PROT_WRITE is tracked from the
 * call that makes it writable. Elsewhere the range gets the real call as
 * it is.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_poison.h"
#include "shim_prog_prot.h"
#include "shim_region.h"

/* a call's protection key, when it is pkey_mprotect's */
struct prog_call {
	int prot;
	bool with_pkey;
	int pkey;
};

static int
real_protect(uintptr_t lo, uintptr_t hi, int prot, const struct prog_call *c)
{
	return c->with_pkey ?
		REAL(pkey_mprotect)((void *)lo, hi - lo, prot, c->pkey) :
		REAL(mprotect)((void *)lo, hi - lo, prot);
}

/* the end of m's last page */
static uintptr_t
mapping_end(const struct shim_mapping *m)
{
	size_t pages = (m->len + SHIM_PAGE_LEN - 1) / SHIM_PAGE_LEN;
	return m->base + pages * SHIM_PAGE_LEN;
}

/* the lowest mapping that meets [a, hi) and is tracked, or is to be
 * (the call makes it writable) */
struct next_ctx {
	uintptr_t a, hi;
	bool writable;
	struct shim_mapping *m;
};

static void
next_one(struct shim_mapping *m, void *ctx)
{
	struct next_ctx *c = ctx;
	if (!(m->tracked || c->writable) || mapping_end(m) <= c->a ||
			m->base >= c->hi)
		return;
	if (c->m == NULL || m->base < c->m->base)
		c->m = m;
}

/*
 * reprotect -- the pages of m in [lo, hi) whose protection is not
 * `given` (a poisoned page: PROT_NONE; any, after a failed call) get
 * the one tracking gives them now
 */
static void
reprotect(struct shim_mapping *m, uintptr_t lo, uintptr_t hi, int given)
{
	for (uintptr_t page = lo; page < hi; page += SHIM_PAGE_LEN) {
		int want = shim_dirty_page_prot(m, page);
		if (shim_poison_count != 0)
			want = shim_poison_page_prot(m, page, want);
		if (want != given)
			REAL(mprotect)((void *)page, SHIM_PAGE_LEN, want);
	}
}

/*
 * start_tracking -- m, mapped without PROT_WRITE, is being made
 * writable: tracked from now on, its pages at the protection it was
 * mapped with until the call changes theirs (lock held). A descriptor
 * opened read-only cannot be: EACCES, as the kernel says.
 */
static int
start_tracking(struct shim_mapping *m)
{
	int mapped = m->prot;
	if (m->fd_read_only) {
		errno = EACCES;
		return -1;
	}
	if (shim_prog_prot_set(m, m->base, mapping_end(m), mapped) != 0) {
		errno = ENOMEM;
		return -1;
	}
	m->prot = mapped | PROT_WRITE;
	if (shim_dirty_setup(m) != 0) {
		m->prot = mapped;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * protect_tracked -- the call for [lo, hi), all in m (lock held). The
 * real call comes first, readable (a fault handler reads the page it
 * opens), then the program's protection is recorded (without the write,
 * once that returns no handler opens the pages), then an unreadable
 * one is given. A handler that opened a page after the first settle,
 * with the program's old protection, left it open: the second settle
 * closes it with the new one. A failed call records nothing (but for
 * the second real call, which only takes the read away from the
 * ranges the first one changed).
 */
static int
protect_tracked(struct shim_mapping *m, uintptr_t lo, uintptr_t hi,
		const struct prog_call *c)
{
	shim_dirty_settle_range(m, lo, hi);
	int readable = (c->prot | PROT_READ) & ~PROT_WRITE;
	int given = c->prot & PROT_WRITE ? readable : c->prot;
	int ret = real_protect(lo, hi, readable, c);
	if (ret == 0 && shim_prog_prot_set(m, lo, hi, c->prot) != 0) {
		errno = ENOMEM;
		ret = -1;
	}
	if (ret == 0 && given != readable)
		ret = real_protect(lo, hi, given, c);
	if (ret != 0) {
		int e = errno;
		reprotect(m, lo, hi, -1);
		errno = e;
		return -1;
	}
	shim_dirty_settle_range(m, lo, hi);
	reprotect(m, lo, hi, given);
	return 0;
}

int
shim_file_mprotect(void *addr, size_t len, int prot, bool with_pkey,
		int pkey)
{
	struct prog_call c = { prot, with_pkey, pkey };
	uintptr_t lo = (uintptr_t)addr;
	uintptr_t hi = lo + ((len + SHIM_PAGE_LEN - 1) &
		~(uintptr_t)(SHIM_PAGE_LEN - 1));
	if (lo % SHIM_PAGE_LEN != 0 || hi <= lo) /* EINVAL, or nothing */
		return with_pkey ? REAL(pkey_mprotect)(addr, len, prot, pkey) :
			REAL(mprotect)(addr, len, prot);
	int ret = 0;
	shim_lock();
	for (uintptr_t a = lo; a < hi && ret == 0;) {
		struct next_ctx n = { a, hi, prot & PROT_WRITE, NULL };
		shim_mapping_for_each(next_one, &n);
		uintptr_t s = n.m == NULL ? hi : n.m->base > a ? n.m->base : a;
		if (s > a) { /* not ours: as the program asked */
			ret = real_protect(a, s, prot, &c);
			a = s;
			continue;
		}
		uintptr_t e = mapping_end(n.m) < hi ? mapping_end(n.m) : hi;
		ret = n.m->tracked || start_tracking(n.m) == 0 ?
			protect_tracked(n.m, a, e, &c) : -1;
		a = e;
	}
	int e = errno;
	shim_unlock();
	errno = e;
	return ret;
}
