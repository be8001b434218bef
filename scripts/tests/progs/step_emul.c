/*
 * step_emul.c -- stores that fault on cold pool pages, each page but one
 * persisted: a memcpy (pages 0-1), a memset (pages 2-3), struct fields of
 * each width on several lines (page 4), and, with "threads", four threads
 * storing to their own lines of page 5 at once. The line left unpersisted
 * is the second field store of page 4 and, with "threads", each thread's
 * second line. test_step_emul.py runs it with the faulting stores run by
 * the handler (the default) and stepped (PMEMU_STEP_EMUL=0).
 *
 * usage: step_emul FILE [threads]
 */
#include <err.h>
#include <libpmem.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define LEN (8 * 4096)
#define THREADS 4

struct record {
	uint8_t tag;
	uint16_t kind;
	uint32_t count;
	uint64_t id;
	double weight;
	char name[40];
};

static char *pool;
static pthread_barrier_t start, stored;

static __attribute__((noinline)) void
fill_record(struct record *r, uint64_t id)
{
	r->tag = 7;                                  /* TAG */
	r->kind = 0x1234;                            /* KIND */
	r->count = 42;                               /* COUNT */
	r->id = id;                                  /* ID */
	r->weight = 1.5;                             /* WEIGHT */
	memcpy(r->name, "a record of the pool", 21); /* NAME */
}

static void *
thread_lines(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	volatile uint64_t *mine = (uint64_t *)(pool + 5 * 4096 + i * 128);
	pthread_barrier_wait(&start);
	for (int k = 0; k < 8; k++) {
		mine[k] = i * 100 + k;      /* THREAD_FIRST */
		mine[8 + k] = i * 100 + k;  /* THREAD_SECOND */
	}
	/* no fence before every store is made: a diff in the middle of a
	 * thread's loop would see its second line change twice */
	pthread_barrier_wait(&stored);
	pmem_persist((void *)mine, 64);
	return NULL;
}

int
main(int argc, char *argv[])
{
	static char buf[8192];
	/* libc's memcpy and memset, not GCC's rep movs and stos, and
	 * below libc's own rep movsb threshold: vector stores */
	volatile size_t part = 1000;
	size_t mapped;
	if (argc < 2)
		errx(2, "usage: %s FILE [threads]", argv[0]);
	pool = pmem_map_file(argv[1], LEN, PMEM_FILE_CREATE, 0644, &mapped,
			NULL);
	if (pool == NULL)
		err(1, "pmem_map_file %s", argv[1]);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 31 + 1);
	for (size_t at = 0; at + part <= 2 * 4096; at += part)
		memcpy(pool + at, buf + at, part);            /* COPY */
	pmem_persist(pool, 2 * 4096);
	for (size_t at = 0; at + part <= 2 * 4096; at += part)
		memset(pool + 2 * 4096 + at, (int)at, part);  /* FILL */
	pmem_persist(pool + 2 * 4096, 2 * 4096);
	struct record *r = (struct record *)(pool + 4 * 4096);
	fill_record(&r[0], 1);
	fill_record(&r[1], 2); /* a line of its own (64 bytes): not persisted */
	fill_record(&r[5], 3);
	pmem_persist(&r[0], sizeof(r[0]));
	pmem_persist(&r[3], 3 * sizeof(r[0]));
	if (argc > 2 && strcmp(argv[2], "threads") == 0) {
		pthread_t t[THREADS];
		pthread_barrier_init(&start, NULL, THREADS);
		pthread_barrier_init(&stored, NULL, THREADS);
		for (uintptr_t i = 0; i < THREADS; i++)
			if (pthread_create(&t[i], NULL, thread_lines, (void *)i))
				errx(1, "pthread_create");
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
	}
	pmem_unmap(pool, mapped);
	return 0;
}
