/*
 * prog.h -- shared by the plugin's test programs
 *
 * Each program stores into one pmem buffer and marks every line that must
 * call a hook with a comment "pmemu: EVENT[, EVENT...]", EVENT being
 * "KIND [OFFSET [LEN]]" (KIND: store, store_nt, movdir64b, clflush,
 * clflushopt, clwb, sfence, mfence, locked; OFFSET from the buffer start),
 * each optionally tagged "[cpuflag]" (only on such CPUs), "[O2]" (only
 * when optimising) or "[O0]" (only at -O0). Lines
 * without a mark must call no hook. test_plugin.py checks the marks.
 *
 * The buffer is aligned_alloc'd and announced with pmemu_register_pmem(),
 * or, when PMEMU_PROG_FILE names a file, mmap'd from it (for `pmemu run`).
 */
#ifndef PROG_H
#define PROG_H 1

#include <cpuid.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define NOIPA __attribute__((noinline, noipa))
#define PROG_PMEM_LEN 8192

/* prog_pmem -- the pmem buffer (zeroed, 4096-aligned) */
static inline char *
prog_pmem(void)
{
	const char *path = getenv("PMEMU_PROG_FILE");
	char *p;
	if (path != NULL) {
		int fd = open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0 || ftruncate(fd, PROG_PMEM_LEN) != 0)
			exit(2);
		p = (char *)mmap(NULL, PROG_PMEM_LEN, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			exit(2);
		return p;
	}
	p = (char *)aligned_alloc(4096, PROG_PMEM_LEN);
	if (p == NULL)
		exit(2);
	memset(p, 0, PROG_PMEM_LEN);
	pmemu_register_pmem(p, PROG_PMEM_LEN, "prog");
	return p;
}

/* prog_cpu_has -- CPUID leaf 7 feature bits the intrinsics need */
static inline int
prog_cpu_has(const char *flag)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	if (strcmp(flag, "clflushopt") == 0)
		return (b >> 23) & 1;
	if (strcmp(flag, "clwb") == 0)
		return (b >> 24) & 1;
	if (strcmp(flag, "avx512f") == 0)
		return (b >> 16) & 1;
	if (strcmp(flag, "avx2") == 0)
		return (b >> 5) & 1;
	if (strcmp(flag, "movdir64b") == 0)
		return (c >> 28) & 1;
	return 0;
}

/* prog_sum -- a checksum the program prints, so runs can be compared */
static inline unsigned long
prog_sum(const char *p, size_t len)
{
	unsigned long s = 0;
	for (size_t i = 0; i < len; i++)
		s = s * 31 + (unsigned char)p[i];
	return s;
}

#endif
