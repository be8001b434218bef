/* store_log.c -- plugin-built stores that the shim buffers in its store
 * log (docs/shim.md): each mode's findings and trace must be the same
 * with the log and without it (PMEMU_STORE_LOG=0).
 *   overwrite  one word stored twice before its flush: two stores, two
 *              contents
 *   many       more stores before a fence than the log holds
 *   threads    the log's owner and another thread store the same words
 *              in turn (a mutex hands over), with crash points between
 *   fork       stores before, in and after a forked child
 *   runs       runs of word stores the drain merges (one site, one
 *              line, each where the last ended) and stores that end a
 *              run: another site, a word stored again, a line boundary,
 *              a line persisted between two runs
 *   lines      four lines of four 16-byte stores each, one call of
 *              __pmemu_store_run a line (one site, unrolled): the last
 *              line is never flushed
 *   lines-ok   the same, every line flushed: nothing to report
 *   runs-full  runs of sixteen 8-byte stores (two log entries each) until
 *              the log fills in the middle of one: its other stores
 *              take the lock
 *   reflush    a line flushed (the flush waits in the log), then stored
 *              again before the fence, then SIGKILL: the pool file holds
 *              what was durable, the line as it was at the flush
 *   opened     a line flushed (the flush waits in the log), then written
 *              by libc's memset (a fault opens the page) before the
 *              fence: memset's store is not flushed */
#include <err.h>
#include <fcntl.h>
#include <immintrin.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmemu.h"

#define LEN (64 * 1024)

static volatile uint64_t *words;

static void
persist(volatile uint64_t *w)
{
	_mm_clwb((void *)w);
	_mm_sfence();
}

static void
overwrite(void)
{
	words[1] = 9; /* the first store: the thread takes the log */
	words[0] = 1;
	words[0] = 2;
	persist(&words[0]);
	words[8] = 3; /* never flushed */
}

static void
many(void)
{
	for (int i = 0; i < 3000; i++)
		words[i] = (uint64_t)i * 7 + 1;
	for (int i = 0; i < 2992; i += 8)
		_mm_clwb((void *)&words[i]);
	_mm_sfence(); /* the last line stays dirty */
}

static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: the main thread's, 1: the other's */

static void
wait_turn(int me)
{
	pthread_mutex_lock(&turn_lock);
	while (turn != me)
		pthread_cond_wait(&turn_cond, &turn_lock);
	pthread_mutex_unlock(&turn_lock);
}

static void
give_turn(int to)
{
	pthread_mutex_lock(&turn_lock);
	turn = to;
	pthread_cond_broadcast(&turn_cond);
	pthread_mutex_unlock(&turn_lock);
}

static void *
other(void *arg)
{
	(void)arg;
	for (int i = 0; i < 4; i++) {
		wait_turn(1);
		words[16] = 100 + (uint64_t)i; /* over the owner's store */
		words[24 + i] = (uint64_t)i;
		if (i == 2)
			persist(&words[16]);
		give_turn(0);
	}
	return NULL;
}

static void
threads(void)
{
	words[16] = 1;
	pthread_t t;
	if (pthread_create(&t, NULL, other, NULL) != 0)
		errx(1, "pthread_create");
	for (int i = 0; i < 4; i++) {
		words[16] = 10 + (uint64_t)i;
		words[32 + i] = (uint64_t)i;
		pmemu_crash_point("handover");
		give_turn(1);
		wait_turn(0);
	}
	pthread_join(t, NULL);
	persist(&words[32]);
	words[40] = 5;
}

static void
forked(void)
{
	words[0] = 1;
	pid_t pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		words[0] = 2;
		words[8] = 2;
		persist(&words[8]);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	words[16] = 3;
	persist(&words[0]);
}

static void
runs(void)
{
	for (int i = 0; i < 12; i++) /* line 0, then line 1 */
		words[i] = (uint64_t)i + 1;
	for (int i = 12; i < 16; i++) /* line 1, another site */
		words[i] = 7;
	persist(&words[0]);
	words[0] = 5; /* line 0 again, after it was persisted */
	words[1] = 6;
	words[1] = 8; /* the same word again */
	for (int i = 20; i < 28; i++) /* lines 2 and 3 */
		words[i] = 9;
}

typedef uint64_t pair __attribute__((vector_size(16)));

/* fill_lines -- the plugin reports each line's four stores in one call
 * (one source location, one base, each where the last ended) */
static void
fill_lines(bool flush_last)
{
	for (int l = 0; l < 4; l++) {
		pair *p = (pair *)((uint64_t *)words + 8 * l);
#pragma GCC unroll 4
		for (int i = 0; i < 4; i++)
			p[i] = (pair){ (uint64_t)l, (uint64_t)i } + 1; /* RUN */
		if (l != 3 || flush_last)
			_mm_clwb(p);
	}
	_mm_sfence();
}

/* reflush -- the flush's copy of line 0, not the line at the fence */
static void
reflush(void)
{
	words[8] = 9; /* the first store: the thread takes the log */
	for (int i = 0; i < 8; i++)
		words[i] = (uint64_t)i + 1;
	_mm_clwb((void *)words);
	for (int i = 0; i < 8; i++)
		words[i] = (uint64_t)i + 100; /* not flushed */
	_mm_sfence();
	_mm_clwb((void *)&words[8]);
	_mm_sfence();
	raise(SIGKILL); /* the pool file: the media, what was durable */
}

/* opened -- a store the plugin does not see, after a flush that waits in
 * the log: found by the page's diff at the fence, after the flush */
static void
opened(void)
{
	static void *(*volatile unseen)(void *, int, size_t) = memset;
	words[8] = 9; /* the first store: the thread takes the log */
	words[0] = 1;
	_mm_clwb((void *)words);
	unseen((void *)&words[2], 0x55, 8); /* faults: the page opens */
	_mm_sfence();
	_mm_clwb((void *)&words[8]);
	_mm_sfence();
}

/* runs_full -- four stores, then a run of 128 bytes in every block of
 * 128 but the first (511, two entries each): the log's 128 entries are
 * full after the first entry of one run */
static void
runs_full(void)
{
	uint64_t *w = (uint64_t *)words;
	words[0] = 1; /* takes the log, not logged */
	words[1] = 2; /* an entry each: three sites */
	words[2] = 3;
	words[3] = 4;
	for (int b = 1; b < LEN / 128; b++) {
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++)
			w[16 * b + i] = (uint64_t)(b * 16 + i);
	}
	for (int b = 16; b < LEN / 8 - 8; b += 8)
		_mm_clwb(&w[b]);
	_mm_sfence(); /* line 0 and the last line stay dirty */
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		errx(2, "usage: store_log FILE MODE");
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, LEN) != 0)
		err(1, "%s", argv[1]);
	void *pm = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	words = pm;
	if (strcmp(argv[2], "overwrite") == 0)
		overwrite();
	else if (strcmp(argv[2], "many") == 0)
		many();
	else if (strcmp(argv[2], "threads") == 0)
		threads();
	else if (strcmp(argv[2], "fork") == 0)
		forked();
	else if (strcmp(argv[2], "runs") == 0)
		runs();
	else if (strcmp(argv[2], "lines") == 0)
		fill_lines(false);
	else if (strcmp(argv[2], "lines-ok") == 0)
		fill_lines(true);
	else if (strcmp(argv[2], "runs-full") == 0)
		runs_full();
	else if (strcmp(argv[2], "reflush") == 0)
		reflush();
	else if (strcmp(argv[2], "opened") == 0)
		opened();
	else
		errx(2, "unknown mode %s", argv[2]);
	return 0;
}
