/*
 * raw_clflushopt.c -- a prebuilt program that persists with inline-asm
 * clflushopt and sfence, as hand-tuned libraries do. -DBUGGY leaves out
 * the last sfence: both flushes stay in flight (pmemu: flush without
 * fence, at the asm line marked "the flush").
 */
#include <stdint.h>
#include <stdio.h>

void *raw_map(int argc, char **argv, size_t len);
void raw_digest(const char *label, const void *p, size_t len);

static inline void
flush_line(const void *p)
{
	__asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)p)); /* the flush */
}

static inline void
store_fence(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

int
main(int argc, char **argv)
{
	uint64_t *log = raw_map(argc, argv, 8192);
	/* a log entry in the second page, then its head in the first */
	for (int i = 0; i < 16; i++)
		log[512 + i] = 0xabc0 + (uint64_t)i;
	flush_line(&log[512]);
	flush_line(&log[520]);
	log[0] = 16;
	flush_line(&log[0]);
#ifndef BUGGY
	store_fence();
#endif
	raw_digest("log", log, 8192);
	return 0;
}
