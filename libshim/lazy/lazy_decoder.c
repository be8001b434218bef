/*
 * lazy_decoder.c -- libpmemu-lazy.so: capstone, loaded when a process maps
 * an image file (lazy_watch.c), not by every process the check starts
 *
 * Each process of a lazy check preloads libpmemu-lazy.so; most never map
 * the image (a shell, a program that reads it with read or pread), and
 * loading capstone, a library of several MiB with its relocations, at
 * each exec doubled a small check's start-up. It is loaded by dlopen
 * (PMEMU_CAPSTONE_LIB, the library pmemu was built with) at the first
 * mapping of an image file (lazy_watch.c), never in a signal handler.
 *
 * A fork server's children share a word with it (lw_decoder_share): the
 * first child that loads the decoder sets it, and the server loads it
 * before its next fork (lw_decoder_before_fork), once, for the children
 * after. Until then it is not in the server: its relocated data (1.7 MB)
 * made every fork copy its page tables, a check that never maps the
 * image included (issue 16).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lazy_decoder.h"

static struct {
	pthread_once_t once;
	bool ready;
	csh cs;
	cs_insn *insn;
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *,
			cs_insn *);
	volatile int *wanted;  /* shared with a fork server: a child loaded
	                        * the decoder */
} dc = { .once = PTHREAD_ONCE_INIT };

#define SYM(lib, name) ((__typeof__(&name))dlsym(lib, #name))

static void
load(void)
{
	void *lib = dlopen(PMEMU_CAPSTONE_LIB, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		return;
	__typeof__(&cs_open) open_fn = SYM(lib, cs_open);
	__typeof__(&cs_option) option_fn = SYM(lib, cs_option);
	__typeof__(&cs_malloc) malloc_fn = SYM(lib, cs_malloc);
	dc.disasm_iter = SYM(lib, cs_disasm_iter);
	if (open_fn == NULL || option_fn == NULL || malloc_fn == NULL ||
			dc.disasm_iter == NULL ||
			open_fn(CS_ARCH_X86, CS_MODE_64, &dc.cs) != CS_ERR_OK)
		return;
	option_fn(dc.cs, CS_OPT_DETAIL, CS_OPT_ON);
	dc.insn = malloc_fn(dc.cs);
	dc.ready = dc.insn != NULL;
}

bool
lw_decoder_load(void)
{
	pthread_once(&dc.once, load);
	/* read-only in the server (a writable shared mapping would stop it
	 * serving: libshim/fork/fork_proc.c), writable here */
	if (dc.wanted != NULL && !*dc.wanted && syscall(SYS_mprotect,
			(void *)dc.wanted, sizeof(*dc.wanted),
			PROT_READ | PROT_WRITE) == 0)
		__atomic_store_n(dc.wanted, 1, __ATOMIC_SEQ_CST);
	return dc.ready;
}

void
lw_decoder_share(volatile int *word)
{
	dc.wanted = word;
}

void
lw_decoder_before_fork(void)
{
	if (dc.wanted != NULL && __atomic_load_n(dc.wanted, __ATOMIC_SEQ_CST))
		pthread_once(&dc.once, load);
}


cs_insn *
lw_decoder_insn(void)
{
	return dc.insn;
}

bool
lw_decoder_next(const uint8_t **code, size_t *len, uint64_t *addr)
{
	return dc.ready && dc.disasm_iter(dc.cs, code, len, addr, dc.insn);
}
