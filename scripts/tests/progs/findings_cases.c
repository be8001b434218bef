/*
 * findings_cases.c -- small cases of `pmemu run` findings, one per mode,
 * built by test_findings_report.py with and without the pmemu GCC plugin:
 *
 *   after   a store made after crash point "m1", never flushed
 *   later   a store not durable at "m1", flushed and fenced after it
 *   clean   one clflush of a line never written, before "m1"
 *   lock    a lock word 0 -> 1 -> 0, never flushed (relock: the 1 flushed)
 *   two     two atomic increments on two lines, never flushed
 *   ok      a store flushed and fenced before "m1": nothing to report
 *   example the example of docs/report-format.md: a store flushed with
 *           no fence after it, then a store to the same line never flushed
 *   copy    one memcpy of the whole file, never flushed
 *
 * usage: findings_cases FILE MODE
 */
#include <err.h>
#include <fcntl.h>
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN (1 << 20) /* copy: a size glibc's memmove copies by its loop
                         * of four stores */

static void
persist(void *p)
{
	_mm_clflush(p);
	_mm_sfence();
}

static char pattern[LEN];

static void
run(char *pm, const char *mode)
{
	volatile uint64_t *a = (uint64_t *)(pm + 256);
	volatile uint64_t *b = (uint64_t *)(pm + 512);
	if (strcmp(mode, "after") == 0) {
		pm[0] = 1;
		persist(pm);
		pmemu_crash_point("m1");
		pm[64] = 2; /* AFTER */
	} else if (strcmp(mode, "later") == 0) {
		pm[0] = 1; /* LATER */
		pmemu_crash_point("m1");
		persist(pm);
	} else if (strcmp(mode, "clean") == 0) {
		_mm_clflush(pm + 128); /* CLEAN */
		pmemu_crash_point("m1");
	} else if (strcmp(mode, "lock") == 0) {
		__atomic_store_n(a, 1, __ATOMIC_SEQ_CST); /* LOCK */
		__atomic_store_n(a, 0, __ATOMIC_SEQ_CST); /* UNLOCK */
	} else if (strcmp(mode, "two") == 0) {
		__atomic_fetch_add(a, 1, __ATOMIC_SEQ_CST); /* ATOMIC_A */
		__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST); /* ATOMIC_B */
	} else if (strcmp(mode, "example") == 0) {
		memcpy(pm + 0x1040, "list", 4); /* STORE */
		pmemu_flush(pm + 0x1040, 4); /* FLUSH */
		memcpy(pm + 0x1044, "head", 4); /* STORE_AGAIN */
	} else if (strcmp(mode, "ok") == 0) {
		pm[0] = 1;
		persist(pm);
		pmemu_crash_point("m1");
	} else if (strcmp(mode, "copy") == 0) {
		/* through a pointer: the C library's memcpy, not inlined */
		void *(*volatile copy)(void *, const void *, size_t) = memcpy;
		memset(pattern, 0x5a, sizeof(pattern));
		copy(pm, pattern, sizeof(pattern)); /* COPY */
	} else if (strcmp(mode, "relock") == 0) {
		*a = 1; /* RELOCK */
		pmemu_flush((void *)a, sizeof(*a)); /* RELOCK_FLUSH */
		*a = 0; /* RELOCK_UNLOCK */
	} else {
		errx(2, "unknown mode %s", mode);
	}
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s FILE MODE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", argv[1]);
	char *pm = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	run(pm, argv[2]);
	munmap(pm, LEN);
	close(fd);
	return 0;
}
