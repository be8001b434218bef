/*
 * lazy_decoder.c -- libpmemu-lazy.so: capstone, loaded when a process maps
 * an image file (lazy_watch.c), not by every process the check starts
 *
 * Each process of a lazy check preloads libpmemu-lazy.so; most never map
 * the image (a shell, a program that reads it with read or pread), and
 * loading capstone, a library of several MiB with its relocations, at
 * each exec doubled a small check's start-up. It is loaded by dlopen
 * (PMEMU_CAPSTONE_LIB, the library pmemu was built with) at the first
 * mapping of an image file, or once in a fork server before it forks
 * (lazy_watch.c), never in a signal handler.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>

#include "lazy_decoder.h"

static struct {
	pthread_once_t once;
	bool ready;
	csh cs;
	cs_insn *insn;
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *,
			cs_insn *);
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
	return dc.ready;
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
