/*
 * insn_module.h -- a loaded object and its patch sites, shared by the
 * scan of one object (insn_module.c) and the patcher (insn_patch.c);
 * private to insn_*.c
 */
#ifndef PMEMU_INSN_MODULE_H
#define PMEMU_INSN_MODULE_H 1

#include <link.h>
#include <stdbool.h>

#include "insn.h"

/* a loaded object as dl_iterate_phdr shows it */
struct loaded {
	uintptr_t base;
	char *name;               /* "" for the main program */
	const ElfW(Phdr) *phdr;
	int phnum;
	bool self;                /* holds this code: libpmemu.so */
};

/* an object we looked at */
struct module {
	struct module *next;
	uintptr_t base;
	char *name;
	struct insn_site *sites;  /* patched to trap */
	size_t nsites, cap;
	unsigned locked;
	unsigned trapping;        /* jump mode: sites left with an int3 */
	uintptr_t probe;          /* the first byte patched, and its value */
	uint8_t probe_byte;
	bool present;             /* seen by the last walk */
};
/* the file of a loaded object */
const char *insn_module_path(const struct loaded *l);
/* the executable PT_LOAD holding link-time [lo, hi), or NULL */
const ElfW(Phdr) *insn_exec_segment(const struct loaded *l, uint64_t lo,
		uint64_t hi);
/* qsort order of sites: by address */
int insn_site_cmp(const void *a, const void *b);
/* pmemu-gcc.so next to libpmemu.so, for messages */
const char *insn_plugin_path(void);
/*
 * the sites (sorted) and locked count of l into m: from the scan cache
 * when it has them, else decoded (and cached); *sc is the disassembler,
 * made on the first miss
 */
void insn_module_scan(struct module *m, const struct loaded *l,
		struct insn_scanner **sc);

#endif
