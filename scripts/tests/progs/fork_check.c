/* fork_check.c -- a check for the fork server's tests
 * (test_explore_fork_server.py): `fork_check MODE IMAGE [LOG]`.
 * The image holds data (8 bytes at 0) and a flag (8 bytes at 64): it is
 * consistent when flag <= data. MODE says what an inconsistent image does
 * (exit: status 1; segv: a crash; hang: never ends) and what the check
 * does before it opens the image (env: appends PMEMU_STATE to LOG; fork:
 * runs a child first; thread: starts a thread first; shared: maps shared
 * memory; raw: opens the image by a system call libc does not see;
 * half: reads the first byte of the file LOG, and the second after, which
 * must be the file's second byte, else exit 5). An inconsistent image in
 * mode repair is made consistent (the flag stored over the data) before
 * exit 1, as a recovery that then fails would (holerepair: after looking
 * for holes in it, which --explore lazy cannot follow); in mode forkread the
 * check first reads 8 bytes at 128 when it runs under libpmemu-fork.so
 * (a read only a child of the fork server makes); rawmap maps the image
 * opened as in raw and reads it there; mode fails fails on every image,
 * after a line "fork" or "exec" to LOG: how it was started. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *
idle(void *arg)
{
	pause();
	return arg;
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *mode = argv[1];
	if (strcmp(mode, "env") == 0 && argc > 3) {
		const char *s = getenv("PMEMU_STATE");
		FILE *log = fopen(argv[3], "a");
		if (log == NULL || s == NULL)
			return 3;
		fprintf(log, "%s\n", s);
		fclose(log);
	}
	if (strcmp(mode, "fork") == 0) {
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		waitpid(c, NULL, 0);
	}
	if (strcmp(mode, "shared") == 0 && mmap(NULL, 4096, PROT_READ |
			PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) ==
			MAP_FAILED)
		return 3;
	const uint64_t *map = NULL;
	if (strncmp(mode, "raw", 3) == 0) {
		long raw = syscall(SYS_openat, AT_FDCWD, argv[2], O_RDONLY);
		if (raw < 0)
			return 3;
		if (strcmp(mode, "rawmap") == 0)
			map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, (int)raw, 0);
		if (map == MAP_FAILED)
			return 3;
	}
	int half = -1;
	char c[2];
	if (strcmp(mode, "half") == 0 && argc > 3) {
		half = open(argv[3], O_RDONLY);
		if (half < 0 || read(half, c, 1) != 1)
			return 3;
	}
	pthread_t t;
	if (strcmp(mode, "thread") == 0)
		pthread_create(&t, NULL, idle, NULL);
	uint64_t v[9];
	bool repair = strstr(mode, "repair") != NULL;
	int fd = open(argv[2], repair ? O_RDWR : O_RDONLY);
	if (strcmp(mode, "holerepair") == 0)
		lseek(fd, 0, SEEK_DATA);
	if (map != NULL && fd >= 0)
		memcpy(v, map, sizeof(v));
	else if (fd < 0 || pread(fd, v, sizeof(v), 0) != sizeof(v))
		return 4;
	if (half >= 0 && (read(half, c + 1, 1) != 1 || c[1] != 'B'))
		return 5;
	const char *pre = getenv("LD_PRELOAD");
	bool served = pre != NULL && strstr(pre, "libpmemu-fork") != NULL;
	if (strcmp(mode, "fails") == 0 && argc > 3) {
		FILE *log = fopen(argv[3], "a");
		if (log == NULL)
			return 3;
		fprintf(log, "%s\n", served ? "fork" : "exec");
		fclose(log);
		return 1;
	}
	if (v[8] <= v[0])
		return 0;
	printf("inconsistent: flag %llu, data %llu\n",
			(unsigned long long)v[8], (unsigned long long)v[0]);
	fflush(stdout);
	if (strcmp(mode, "forkread") == 0 && served &&
			pread(fd, v, 8, 128) != 8)
		return 4;
	if (repair && pwrite(fd, &v[8], 8, 0) != 8)
		return 4;
	if (strcmp(mode, "segv") == 0)
		*(volatile int *)0 = 1;
	if (strcmp(mode, "hang") == 0)
		for (;;)
			pause();
	return 1;
}
