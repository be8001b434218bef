/*
 * insn_capstone.c -- capstone, loaded by dlopen when the first scanner is
 * made (a module missing from the scan cache, insn_module.c), not by
 * every process the shim starts in
 *
 * Linked, capstone (6 MiB, 77,000 relocations) cost every process ~1.3
 * ms of CPU and ~375 page faults at load, before main, though with a warm
 * scan cache nothing is decoded. The library is the one pmemu was built
 * with (PMEMU_CAPSTONE_LIB), as libpmemu-lazy.so loads it
 * (lazy_decoder.c); dlopen is libc's, found by RTLD_NEXT, not the shim's
 * interposer, which would scan the new module from inside a scan.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>

#include "insn_detail.h"

struct insn_capstone insn_cs;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;

#define SYM(lib, name) (insn_cs.name = (__typeof__(&name))dlsym(lib, #name))

static void
load(void)
{
	void *(*open_lib)(const char *, int) =
		(void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	void *lib = open_lib != NULL ?
		open_lib(PMEMU_CAPSTONE_LIB, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (lib == NULL)
		return;
	ready = SYM(lib, cs_open) && SYM(lib, cs_option) &&
		SYM(lib, cs_malloc) && SYM(lib, cs_free) &&
		SYM(lib, cs_close) && SYM(lib, cs_disasm_iter) &&
		SYM(lib, cs_reg_name) && SYM(lib, cs_insn_group) &&
		SYM(lib, cs_regs_access);
}

bool
insn_capstone_load(void)
{
	pthread_once(&once, load);
	return ready;
}
