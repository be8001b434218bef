/* lazy_where.h -- where and how the check first touched a line
 * (lazy_where.c) */
#ifndef PMEMU_LAZY_WHERE_H
#define PMEMU_LAZY_WHERE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* " R module+0xoff" (kind R: a read, W: a store covering the line, P:
 * decided with its page or file, not known to be touched, O: stored whole
 * before any read, its outcome irrelevant) into buf;
 * its length (at most len, not terminated) */
size_t lw_where(char *buf, size_t len, char kind, uintptr_t pc)
	__attribute__((visibility("hidden")));
/* the pc of a fault and whether it was a store */
uintptr_t lw_fault_pc(void *uc, bool *store)
	__attribute__((visibility("hidden")));

#endif
