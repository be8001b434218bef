/*
 * atomic_lines.c -- stores on several lines of one page of pmem, never
 * flushed unless said: built with and without the pmemu GCC plugin, both
 * builds must name each store at its own line (test_findings_builds.py):
 *
 *   xchg    an exchange and a compare-exchange on two lines
 *   ok      two atomic increments on two lines, both flushed and fenced
 *   three   three plain stores on three lines
 *   fill    two stores to one line, then one to another line: the second
 *           store to a line ends single-stepping of the page, so a plain
 *           build guesses the third store's site
 *   stride  one store per line on 12 lines from one source line: a plain
 *           build names the first 8 (its faults per opening of a page),
 *           then guesses
 *   blocked two atomic increments on two lines with SIGTRAP blocked: no
 *           single step (the kernel would kill the program), the second
 *           site a guess
 *   selfstep two stores on two lines while the program single-steps
 *           itself (its own SIGTRAP handler counts the traps: printed)
 *   threads 8 threads at once, one atomic increment each on its own line
 *           of a page mapped afresh, 20 times: no line may be missed
 *   read    read() from a pipe into the stepped page and into a clean
 *           page: the kernel's copy into a protected page would fail
 *           with EFAULT; the stores are named by the read calls, guessed
 *
 * usage: atomic_lines FILE MODE
 */
#include <err.h>
#include <fcntl.h>
#include <immintrin.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN 8192
#define SC __ATOMIC_SEQ_CST

/* pool -- FILE, LEN bytes of it mapped shared */
static char *
pool(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", path);
	char *pm = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap %s", path);
	close(fd); /* the mapping stays */
	return pm;
}

#define THREADS 8
#define ROUNDS 20

static pthread_barrier_t start;

/* bump -- one atomic increment on the thread's own line */
static void *
bump(void *line)
{
	pthread_barrier_wait(&start);
	__atomic_fetch_add((volatile uint64_t *)line, 1, SC); /* BUMP */
	return NULL;
}

/* threads -- ROUNDS times, THREADS threads at once on a page mapped
 * afresh (cold): every line must be reported, exact or guessed */
static void
threads(const char *path)
{
	for (int r = 0; r < ROUNDS; r++) {
		char *pm = pool(path);
		pthread_t th[THREADS];
		pthread_barrier_init(&start, NULL, THREADS);
		for (long t = 0; t < THREADS; t++)
			pthread_create(&th[t], NULL, bump, pm + 0x100 + 64 * t);
		for (int t = 0; t < THREADS; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&start);
		munmap(pm, LEN);
	}
}

static volatile int traps;

static void
on_trap(int sig)
{
	(void)sig;
	traps++;
}

/* self_step -- two stores on two lines with the trap flag set by the
 * program itself: its handler counts one trap per instruction, with or
 * without pmemu */
static void
self_step(volatile uint64_t *a, volatile uint64_t *b)
{
	signal(SIGTRAP, on_trap);
	__asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t"
		"movq $1, (%0)\n\t" /* SELF_A */
		"movq $2, (%1)\n\t" /* SELF_B */
		"pushfq\n\tandq $~0x100, (%%rsp)\n\tpopfq"
		:: "r"(a), "r"(b) : "memory", "cc");
	printf("traps %d\n", traps);
}

static void
run(char *pm, const char *mode)
{
	volatile uint64_t *a = (uint64_t *)(pm + 0x100);
	volatile uint64_t *b = (uint64_t *)(pm + 0x200);
	volatile uint64_t *c = (uint64_t *)(pm + 0x300);
	if (strcmp(mode, "xchg") == 0) {
		uint64_t old = 0;
		__atomic_exchange_n(a, 1, SC); /* XCHG_A */
		__atomic_compare_exchange_n(b, &old, 2, 0, SC, SC); /* CMPXCHG_B */
	} else if (strcmp(mode, "ok") == 0) {
		__atomic_fetch_add(a, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST);
		_mm_clflush((void *)a);
		_mm_clflush((void *)b);
		_mm_sfence();
	} else if (strcmp(mode, "three") == 0) {
		*a = 1; /* STORE_1 */
		*b = 2; /* STORE_2 */
		*c = 3; /* STORE_3 */
	} else if (strcmp(mode, "fill") == 0) {
		a[0] = 1; /* FILL */
		a[1] = 2; /* FILL_AGAIN */
		*b = 3; /* FILL_OTHER */
	} else if (strcmp(mode, "stride") == 0) {
		for (int i = 0; i < 12; i++)
			pm[0x400 + 64 * i] = 1; /* STRIDE */
	} else if (strcmp(mode, "blocked") == 0) {
		sigset_t trap;
		sigemptyset(&trap);
		sigaddset(&trap, SIGTRAP);
		sigprocmask(SIG_BLOCK, &trap, NULL);
		__atomic_fetch_add(a, 1, __ATOMIC_SEQ_CST); /* BLOCKED_A */
		__atomic_fetch_add(b, 1, __ATOMIC_SEQ_CST); /* BLOCKED_B */
	} else if (strcmp(mode, "read") == 0) {
		int fds[2];
		*a = 1; /* READ_STORE */
		if (pipe(fds) != 0 || write(fds[1], "abcdefgh", 8) != 8)
			err(1, "pipe");
		if (read(fds[0], (char *)b, 4) != 4) /* READ */
			err(1, "read into the stepped page");
		if (read(fds[0], pm + 0x1100, 4) != 4) /* READ_CLEAN */
			err(1, "read into a clean page");
	} else if (strcmp(mode, "selfstep") == 0) {
		self_step(a, b);
	} else {
		errx(2, "unknown mode %s", mode);
	}
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s FILE MODE", argv[0]);
	if (strcmp(argv[2], "threads") == 0) {
		threads(argv[1]);
		return 0;
	}
	char *pm = pool(argv[1]);
	run(pm, argv[2]);
	return munmap(pm, LEN) == 0 ? 0 : 1;
}
