/*
 * shim_poison.h -- poisoned media lines (bad blocks, docs/shim.md)
 *
 * A poisoned line raises SIGBUS (BUS_MCEERR_AR) when the program loads
 * it, as a machine check does on Linux; a store to the whole line, a
 * write()/pwrite() covering it or a punched hole clears it. The pages of
 * every mapping that hold a poisoned line are PROT_NONE: a fault there is
 * a load of a poisoned line (SIGBUS), or any other access, which runs
 * once with the page open (single-stepped) and the page closed again.
 *
 * The list is kept beside the pmem dir (DIR.pmemu/badblocks, one
 * `FILE OFFSET LEN` a line), so a later run, a check and `pmemu list
 * --media-errors` see it; never in the user's files. Readers (the fault
 * handlers) are lock-free; changes happen under shim_lock, except a line
 * a single-stepped store filled, which the handler clears and the next
 * save writes out.
 */
#ifndef PMEMU_SHIM_POISON_H
#define PMEMU_SHIM_POISON_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "shim_region.h"

/* the unit of poison: a cache line, whatever --line says */
#define SHIM_POISON_LINE 64u
/* at most this many poisoned lines at once (256 KiB of bad blocks) */
#define SHIM_POISON_MAX 4096u
#define SHIM_POISON_NAME_MAX 256u

/* one poisoned line (private to shim_poison*.c) */
struct shim_poison_line {
	char name[SHIM_POISON_NAME_MAX];  /* file, relative to the pmem dir */
	uint64_t off;                     /* line offset in the file */
	const struct shim_region *region; /* once known (lock held) */
	uint64_t written;                 /* bytes stored since: bit per byte */
	uint8_t state;                    /* enum below, atomic */
	uint8_t mine;                     /* changed here since the last save */
};
enum { SHIM_POISON_FREE, SHIM_POISON_SET, SHIM_POISON_CLEARED };
enum { SHIM_POISON_MINE_ADDED = 1, SHIM_POISON_MINE_CLEARED = 2 };

/* the table (shim_poison.c) and its length, read lock-free */
extern struct shim_poison_line shim_poison_lines[SHIM_POISON_MAX];
extern uint32_t shim_poison_count;
/* a handler cleared a line: the list on disk is stale */
extern int shim_poison_unsaved;

/* the name of region r in the list (relative to the pmem dir or the
 * image dir of a check; else its path); false if it has none to keep */
bool shim_poison_name(const struct shim_region *r, char *name, size_t len);
/* poisons [off, off+len) of the file `name` (rounded out to lines); the
 * mapped pages close; `mine`: a change of this process to save; lock
 * held; 0 or -ENOSPC (table full) */
int shim_poison_add(const char *name, uint64_t off, uint64_t len,
		bool mine);
/* clears the lines of region r that [off, off+len) covers whole (a
 * write, a punched hole, a cleared bad block; whole: every line it
 * touches); their pages open again; lock held. Returns the lines cleared */
size_t shim_poison_clear(const struct shim_region *r, uint64_t off,
		uint64_t len, bool whole);
/* true when a line of [off, off+len) of r is poisoned (lock-free) */
bool shim_poison_any(const struct shim_region *r, uint64_t off,
		uint64_t len);
/* how many bytes from off (of len) read before the first poisoned line
 * of r: a read(2) of a DAX file stops there, and fails with EIO when
 * that is at once (lock-free) */
uint64_t shim_poison_readable(const struct shim_region *r, uint64_t off,
		uint64_t len);
/* the protection a page of m may have: PROT_NONE while it holds a
 * poisoned line, else prot (async-signal-safe; shim_dirty's hook) */
int shim_poison_page_prot(const struct shim_mapping *m, uintptr_t page,
		int prot);
/* a new mapping m: its pages holding poisoned lines close; lock held */
void shim_poison_protect(struct shim_mapping *m);
/* the poisoned lines of region r, merged into runs: calls fn(off, len)
 * in file order (lock held) */
void shim_poison_for_each_run(const struct shim_region *r,
		void (*fn)(uint64_t off, uint64_t len, void *ctx), void *ctx);

/* where region r's file lies in its emulated namespace: the physical
 * offset of its one FIEMAP extent (intercept_fiemap.c), so the
 * namespace's bad blocks of one file are not another's (1 TiB apart) */
uint64_t shim_poison_extent_base(const struct shim_region *r);

/* the fault handlers' part (shim_poison_fault.c), true when ours:
 * SIGSEGV on a closed page; SIGTRAP of the single step that followed */
bool shim_poison_fault(void *addr, ucontext_t *uc);
bool shim_poison_stepped(const siginfo_t *info, ucontext_t *uc);

/* the list beside the pmem dir (shim_poison_store.c): loaded at start;
 * saved after each change (merged with what other processes saved) */
void shim_poison_load(void);
void shim_poison_save(void);
/* PMEMU_BADBLOCK's FILE:OFFSET:LEN,... checked against the files and
 * added (the first process of a run); a bad one stops the program */
void shim_poison_apply_option(const char *spec);

#endif
