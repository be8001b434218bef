/*
 * explore_common.h -- what every explorer module shares: string vectors, the
 * largest line
 */
#ifndef PMEMU_XP_COMMON_H
#define PMEMU_XP_COMMON_H 1

#define XP_LINE_MAX 4096u /* largest line (pagecache domain) */
/* a bit no line offset reaches: a poisoned line's hash terms are apart
 * from those of the same bytes unpoisoned (openset.c, image.c) */
#define XP_POISON_BIT (1ull << 63)

#endif
