/* badblock.c -- a record in a pool with a bad block (test_platform_badblock.py).
 *   badblock POOL create     two pages: a header, the record at 0x1040
 *   badblock POOL read       reads the record, no SIGBUS handler (buggy)
 *   badblock POOL recover    reads it under a SIGBUS handler: on a machine
 *                            check, rewrites the whole line, reads again
 *   badblock POOL neighbour  reads and writes other lines of its page
 *   badblock POOL partial    stores 8 bytes into the line, then reads it
 *   badblock POOL pwrite     pwrite()s the line, then reads it
 *   badblock POOL punch      punches a hole over its page, then reads it
 *   badblock POOL poison     pmemu_poison() of the record, then recover
 *   badblock POOL ignore     SIGBUS ignored, then read
 *   badblock POOL preadbad   pread()s the line (EIO), then the line
 *                            before it and the line (a short read)
 * Prints what it saw, one line each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libpmem.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define POOL_LEN 8192
#define REC_OFF 0x1040

static sigjmp_buf back;
static volatile uintptr_t bus_addr;
static volatile int bus_code, bus_lsb;

static void
on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	bus_addr = (uintptr_t)si->si_addr;
	bus_code = si->si_code;
	bus_lsb = si->si_addr_lsb;
	siglongjmp(back, 1);
}

/* load -- the record's first word, or -1 after a machine check */
static long long
load(char *base)
{
	if (sigsetjmp(back, 1) != 0) {
		printf("sigbus code=%s addr=+0x%lx lsb=%d\n",
			bus_code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : "other",
			(unsigned long)(bus_addr - (uintptr_t)base), bus_lsb);
		return -1;
	}
	return (long long)*(volatile uint64_t *)(base + REC_OFF);
}

static void
handle_bus(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);
}

static int
recover(char *base)
{
	handle_bus();
	long long v = load(base);
	if (v < 0) {
		/* the line is lost: rewrite it whole, as a repair would */
		memset(base + REC_OFF, 0, 64);
		*(uint64_t *)(base + REC_OFF) = 42;
		pmem_persist(base + REC_OFF, 64);
		v = load(base);
	}
	printf("record %lld\n", v);
	return v < 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *how = argv[2];
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, POOL_LEN) != 0)
		return 2;
	char *base = mmap(NULL, POOL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		fd, 0);
	if (base == MAP_FAILED)
		return 2;
	if (strcmp(how, "create") == 0) {
		*(uint64_t *)(base + REC_OFF) = 7;
		pmem_persist(base + REC_OFF, 8);
	} else if (strcmp(how, "read") == 0) {
		printf("record %lld\n", load(base));
	} else if (strcmp(how, "recover") == 0) {
		return recover(base);
	} else if (strcmp(how, "neighbour") == 0) {
		char *next = base + REC_OFF + 64;
		*(uint64_t *)next = *(uint64_t *)(base + REC_OFF - 64) + 5;
		pmem_persist(next, 8);
		printf("neighbour %llu\n", (unsigned long long)
			*(volatile uint64_t *)next);
	} else if (strcmp(how, "partial") == 0) {
		*(volatile uint64_t *)(base + REC_OFF + 8) = 1;
		handle_bus();
		printf("record %lld\n", load(base));
	} else if (strcmp(how, "pwrite") == 0) {
		char line[64] = { 9 };
		if (pwrite(fd, line, sizeof(line), REC_OFF) != sizeof(line))
			return 2;
		handle_bus();
		printf("record %lld\n", load(base));
	} else if (strcmp(how, "punch") == 0) {
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				4096, 4096) != 0)
			return 2;
		handle_bus();
		printf("record %lld\n", load(base));
	} else if (strcmp(how, "poison") == 0) {
		if (pmemu_poison(base + REC_OFF + 3, 1) != 0)
			return 3;
		return recover(base);
	} else if (strcmp(how, "preadbad") == 0) {
		char buf[128];
		ssize_t n = pread(fd, buf, 64, REC_OFF);
		printf("pread line: %zd %s\n", n, n < 0 && errno == EIO ?
			"EIO" : "");
		printf("pread before: %zd\n", pread(fd, buf, 128,
			REC_OFF - 64));
	} else if (strcmp(how, "ignore") == 0) {
		signal(SIGBUS, SIG_IGN);
		printf("record %lld\n", load(base));
	} else {
		return 2;
	}
	return 0;
}
