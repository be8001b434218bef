/*
 * exec_self.c -- a program that writes and persists, then execs itself to
 * go on with the same pool: two program images in one run and one trace
 *
 *   exec_self POOL         page 0: "first", then exec "exec_self POOL 2"
 *   exec_self POOL 2       checks "first" is there (exec is a clean
 *                          shutdown of the first image), writes "second"
 *                          on page 1, then its commit flag on page 0
 *
 * FORGET_MSYNC persists neither "first" (reported at exec) nor "second"
 * before its flag (reported at exit; a crash may keep the flag without
 * it). The twin persists both.
 */
#include <err.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static char *
pool_map(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 2 * PAGE) != 0)
		err(2, "%s", path);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			0);
	if (p == MAP_FAILED)
		err(2, "mmap");
	close(fd);
	return p;
}

static void
persist(char *p)
{
#ifndef FORGET_MSYNC
	if (msync(p, PAGE, MS_SYNC) != 0)
		err(2, "msync");
#else
	(void)p;
#endif
}

static void
first(char *p, char *self, char *pool)
{
	strcpy(p, "first"); /* FIRST */
	persist(p);
	char two[] = "2";
	char *argv[] = { self, pool, two, NULL };
	execv("/proc/self/exe", argv);
	err(2, "exec");
}

static int
second(char *p)
{
	if (strcmp(p, "first") != 0)
		errx(3, "the first image's store is not in the pool");
	strcpy(p + PAGE, "second"); /* SECOND */
	persist(p + PAGE);
	p[64] = 1; /* FLAG */
	if (msync(p, PAGE, MS_SYNC) != 0)
		err(2, "msync");
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc < 2)
		errx(2, "usage: %s POOL [2]", argv[0]);
	char *p = pool_map(argv[1]);
	if (argc == 2)
		first(p, argv[0], argv[1]);
	return second(p);
}
