/*
 * threads_page.c -- eight threads store to and flush their own lines of
 * one shared page, then fence, in rounds: every flush follows a store of
 * its thread, so no finding may be reported (MODEL.md); argv[2] repeats
 * the whole case in the process (a race shows in some rounds only)
 */
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

#define THREADS 8
#define ROUNDS 4

static char *pm;
static pthread_barrier_t start;

static void *
writer(void *arg)
{
	long t = (long)arg;
	pthread_barrier_wait(&start);
	for (int r = 0; r < ROUNDS; r++) {
		char *line = pm + t * 64 * 2 + (r % 2) * 64;
		memset(line, 'a' + t + r, 64); /* STORE */
		pmemu_flush(line, 64); /* FLUSH */
		pmemu_fence();
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s FILE REPEATS", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		err(1, "%s", argv[1]);
	int repeats = atoi(argv[2]);
	for (int i = 0; i < repeats; i++) {
		/* a new mapping: its page faults again (not hot yet) */
		pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				0);
		if (pm == MAP_FAILED)
			err(1, "mmap");
		pthread_t th[THREADS];
		pthread_barrier_init(&start, NULL, THREADS);
		for (long t = 0; t < THREADS; t++)
			pthread_create(&th[t], NULL, writer, (void *)t);
		for (int t = 0; t < THREADS; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&start);
		munmap(pm, 4096);
	}
	printf("done\n");
	return 0;
}
