/*
 * e2e.h -- shared by the plugin's end-to-end programs
 * (test_plugin_e2e.py runs them under `pmemu run`)
 *
 * Each program is a correct twin; built with -DBUGGY it loses one line
 * (a flush or a fence; publish.c moves a store) and pmemu must report
 * the line marked PLANTED.
 * Every program is also valid C++. Build with -mclwb. The helpers call
 * GCC's builtins, not <immintrin.h>'s intrinsics (the same calls):
 * that header is 90% of a tiny program's compile time.
 */
#ifndef E2E_H
#define E2E_H 1

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define E2E_POOL_LEN 16384
#define E2E_LINE 64

/* e2e_pool -- the file argv[1] mapped shared: pmem under `pmemu run` */
static inline char *
e2e_pool(int argc, char **argv)
{
	if (argc < 2)
		exit(2);
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, E2E_POOL_LEN) != 0)
		exit(2);
	void *p = mmap(NULL, E2E_POOL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		exit(2);
	return (char *)p;
}

/* e2e_flush -- clwb every line of [p, p+len), no fence */
static inline void
e2e_flush(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(E2E_LINE - 1);
	for (; a < (uintptr_t)p + len; a += E2E_LINE)
		__builtin_ia32_clwb((void *)a);
}

/* e2e_persist -- flush, then sfence: the programs' ordinary persist */
static inline void
e2e_persist(const void *p, size_t len)
{
	e2e_flush(p, len);
	__builtin_ia32_sfence();
}

#endif
