/* flush_instead.c -- a flush of emulated pmem calls its hook instead of
 * running the instruction (the runtime's view line stays in the cache):
 * the range announced here is unmapped, so a flush instruction that ran
 * would fault. Not one of test_plugin.py's CASES: natively (no runtime,
 * an empty slot) each flush runs and faults. */
#include <immintrin.h>

#include "prog.h"

#define FLUSHES __attribute__((target("clflushopt,clwb")))

NOIPA void flush(char *p) { _mm_clflush(p); }
NOIPA FLUSHES void flushopt(char *p) { _mm_clflushopt(p); }
NOIPA FLUSHES void wb(char *p) { _mm_clwb(p); }

int
main(void)
{
	char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone == MAP_FAILED || munmap(gone, 4096) != 0)
		return 2;
	pmemu_register_pmem(gone, 4096, "gone");
	flush(gone);
	if (prog_cpu_has("clflushopt"))
		flushopt(gone + 64);
	if (prog_cpu_has("clwb"))
		wb(gone + 128);
	printf("flushed\n");
	return 0;
}
