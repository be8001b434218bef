/*
 * lazy_where.c -- libpmemu-lazy.so: where the check first touched an
 * undecided line and how (read or store), as text for the read log:
 * "R /path/of/module+0x1a2b" (docs/explore.md, "Reads of data that was
 * not durable"). pmemu names the module's function and line from it.
 *
 * Called from the fault handler: no allocation, no stdio. dladdr takes
 * the loader's lock: a check faulting on the image from inside the loader
 * (never: ld.so does not read pmem images) would deadlock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "lazy_where.h"

/* put -- appends s to buf[*n..len) */
static void
put(char *buf, size_t len, size_t *n, const char *s, size_t slen)
{
	if (*n + slen > len)
		slen = len > *n ? len - *n : 0;
	memcpy(buf + *n, s, slen);
	*n += slen;
}

static void
put_hex(char *buf, size_t len, size_t *n, uintptr_t v)
{
	char t[2 + 2 * sizeof(v)], *p = t + sizeof(t);
	do
		*--p = "0123456789abcdef"[v & 15];
	while ((v >>= 4) != 0);
	*--p = 'x';
	*--p = '0';
	put(buf, len, n, p, (size_t)(t + sizeof(t) - p));
}

size_t
lw_where(char *buf, size_t len, char kind, uintptr_t pc)
{
	size_t n = 0;
	Dl_info di;
	char k[3] = { ' ', kind, ' ' };
	put(buf, len, &n, k, sizeof(k));
	if (pc != 0 && dladdr((void *)pc, &di) != 0 && di.dli_fname != NULL &&
			di.dli_fname[0] != '\0') {
		put(buf, len, &n, di.dli_fname, strlen(di.dli_fname));
		put(buf, len, &n, "+", 1);
		put_hex(buf, len, &n, pc - (uintptr_t)di.dli_fbase);
	} else {
		put(buf, len, &n, "?+", 2);
		put_hex(buf, len, &n, pc);
	}
	return n;
}

/* lw_fault_pc -- the faulting instruction; whether it was a store (the
 * page-fault error code's write bit, x86-64 only: elsewhere a read) */
uintptr_t
lw_fault_pc(void *uc, bool *store)
{
	*store = false;
#if defined(__x86_64__)
	const ucontext_t *u = uc;
	*store = (u->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	return (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}
