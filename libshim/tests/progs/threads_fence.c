/*
 * threads_fence.c -- a flush on one thread and its fence: on the same
 * thread (correct), or -DFENCE_ON_OTHER_THREAD on another one, which
 * orders nothing of the first thread's write-back (MODEL.md)
 */
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pmemu.h"

static char *pm;

static void *
writer(void *arg)
{
	(void)arg;
	strcpy(pm + 128, "stored and flushed by the writer"); /* STORE */
	pmemu_flush(pm + 128, 64); /* FLUSH */
#ifndef FENCE_ON_OTHER_THREAD
	pmemu_fence();
#endif
	return NULL;
}

static void *
fencer(void *arg)
{
	(void)arg;
#ifdef FENCE_ON_OTHER_THREAD
	pmemu_fence();
#endif
	return NULL;
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		err(1, "%s", argv[1]);
	pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	pthread_t a, b;
	pthread_create(&a, NULL, writer, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, fencer, NULL);
	pthread_join(b, NULL);
	printf("done\n");
	return 0;
}
