/*
 * prog_prot.c -- a program that protects its own pmem mapping (mprotect):
 * pmemu keeps its protection (docs/shim.md, "The program's own
 * protection"). One case per build:
 *   RW_AGAIN    the mapping made writable again, a data store, then a
 *               flag flushed; RW_AGAIN_UNFLUSHED: the data store is not
 *   ONE_PAGE_RO page 1 of 2 read-only: a store there is the program's
 *               own SIGSEGV, a store to page 0 is tracked (not flushed)
 *   NONE_READ   PROT_NONE: a load is the program's own SIGSEGV
 *   BACK_RW     read-only, then writable again (pkey_mprotect): a store
 *               is tracked
 *   READ_INTO   read() into a read-only page fails with EFAULT
 *   READ_MAP    a second mapping, made PROT_READ, made writable: a store
 *               there is tracked (not flushed); a mapping of a descriptor
 *               opened read-only cannot be made writable (EACCES)
 *   TOGGLE      a thread stores (its faults caught) and fences while the
 *               main thread makes the mapping PROT_NONE, read-only and
 *               writable in turn, and fences: no hang, no crash
 *   MOVED       as ONE_PAGE_RO, the mapping read-only while mremap grows
 *               it (one protection: one VMA), page 0 writable again after
 * It prints what happened, the same with and without pmemu.
 * `prog_prot FILE check` checks a crash image of RW_AGAIN: a set flag
 * needs its data.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define POOL 8192
#define DATA 4096 /* the data byte: page 1 */
#define FLAG 0    /* the flag byte: page 0 */

static __thread sigjmp_buf back; /* each thread's own */

static void
on_segv(int sig)
{
	(void)sig;
	siglongjmp(back, 1);
}

/* a store to p, or the program's own SIGSEGV; what happened (not every
 * case calls each) */
__attribute__((unused)) static const char *
try_store(volatile char *p, char v)
{
	if (sigsetjmp(back, 1))
		return "caught a store";
	*p = v;
	return "stored";
}

__attribute__((unused)) static const char *
try_load(volatile char *p)
{
	if (sigsetjmp(back, 1))
		return "caught a load";
	return *p ? "loaded" : "loaded 0";
}

static void
persist(char *p, size_t len)
{
	pmemu_flush(p, len);
	pmemu_fence();
}

static int stop;

/* stores to every line in turn, and fences, until stop */
__attribute__((unused)) static void *
writer(void *arg)
{
	char *p = arg;
	for (unsigned i = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); i++) {
		(void)try_store(p + (i * 64) % POOL, (char)i);
		if (i % 16 == 0)
			pmemu_fence();
	}
	return NULL;
}

static int
check(const char *path)
{
	char pool[POOL];
	int fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, pool, POOL, 0) != POOL)
		err(2, "%s", path);
	if (pool[FLAG] == 1 && pool[DATA] != 7) {
		printf("the flag is set, its data is not\n");
		return 1;
	}
	return 0;
}

static void
cases(char *p, const char *path)
{
	(void)p, (void)path;
#if defined(RW_AGAIN) || defined(RW_AGAIN_UNFLUSHED)
	if (mprotect(p, POOL, PROT_READ | PROT_WRITE) != 0)
		err(1, "mprotect");
	p[DATA] = 7; /* STORE_RW */
#ifndef RW_AGAIN_UNFLUSHED
	persist(p + DATA, 1);
#endif
	p[FLAG] = 1;
	persist(p + FLAG, 1);
#elif defined(ONE_PAGE_RO) || defined(MOVED)
#ifdef MOVED
	if (mprotect(p, POOL, PROT_READ) != 0)
		err(1, "mprotect");
	p = mremap(p, POOL, 2 * POOL, MREMAP_MAYMOVE); /* grown */
	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ | PROT_WRITE) != 0)
		err(1, "mremap");
#else
	if (mprotect(p + 4096, 4096, PROT_READ) != 0)
		err(1, "mprotect");
#endif
	printf("%s\n", try_store(p + 4096 + 8, 5)); /* DENIED */
	p[8] = 3; /* STORE_OTHER_PAGE */
#elif defined(NONE_READ)
	if (mprotect(p, POOL, PROT_NONE) != 0)
		err(1, "mprotect");
	printf("%s\n", try_load(p + 100));
	printf("%s\n", try_store(p + 100, 4));
#elif defined(BACK_RW)
	if (mprotect(p, POOL, PROT_READ) != 0)
		err(1, "mprotect");
	printf("%s\n", try_store(p + 100, 9));
	/* no key: as mprotect */
	if (pkey_mprotect(p, POOL, PROT_READ | PROT_WRITE, -1) != 0)
		err(1, "pkey_mprotect");
	printf("%s\n", try_store(p + 100, 9)); /* STORE_BACK */
#elif defined(READ_INTO)
	if (mprotect(p + 4096, 4096, PROT_READ) != 0)
		err(1, "mprotect");
	int z = open("/dev/zero", O_RDONLY);
	ssize_t n = read(z, p + 4096, 64);
	printf("read into the read-only page: %zd %s\n", n,
		n < 0 ? strerror(errno) : "");
	n = read(z, p, 64);
	printf("read into the writable page: %zd\n", n);
	persist(p, 64);
	close(z);
#elif defined(TOGGLE)
	static const int prots[] = { PROT_NONE, PROT_READ,
		PROT_READ | PROT_WRITE };
	pthread_t t;
	if (pthread_create(&t, NULL, writer, p) != 0)
		errx(1, "pthread_create");
	for (int i = 0; i < 20000; i++) {
		if (mprotect(p + (i % 2) * 4096, POOL - (i % 2) * 4096,
				prots[i % 3]) != 0)
			err(1, "mprotect");
		if (i % 5 == 0)
			pmemu_fence();
	}
	if (mprotect(p, POOL, PROT_READ | PROT_WRITE) != 0)
		err(1, "mprotect");
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	persist(p, POOL);
	printf("toggled\n");
#elif defined(READ_MAP)
	int fd = open(path, O_RDWR);
	char *q = mmap(NULL, POOL, PROT_READ, MAP_SHARED, fd, 0);
	if (q == MAP_FAILED || mprotect(q, POOL, PROT_READ | PROT_WRITE) != 0)
		err(1, "mprotect");
	q[DATA + 64] = 6; /* STORE_READ_MAP */
	int ro = open(path, O_RDONLY);
	char *r = mmap(NULL, POOL, PROT_READ, MAP_SHARED, ro, 0);
	if (r == MAP_FAILED)
		err(1, "mmap");
	int e = mprotect(r, POOL, PROT_READ | PROT_WRITE) == 0 ? 0 : errno;
	printf("a read-only descriptor's mapping made writable: %s\n",
		strerror(e));
#endif
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[2], "check") == 0)
		return check(argv[1]);
	if (argc != 2)
		errx(2, "usage: %s FILE [check]", argv[0]);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		err(1, "sigaction");
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, POOL) < 0)
		err(1, "%s", argv[1]);
	char *p = mmap(NULL, POOL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	memset(p, 2, POOL);
	persist(p, POOL);
	for (int i = 0; i < 50; i++) /* the pages hot, then cold again */
		pmemu_fence();
	cases(p, argv[1]);
	return 0;
}
