/*
 * locked_note.c -- a prebuilt program (no pmemu plugin) with a `lock xadd`
 * in inline asm: a fence pmemu cannot see, so a run that emulates a file
 * ends with a note saying the verdict may depend on it. -DNO_LOCK is the
 * twin without it (no note). With "--no-pmem" nothing is emulated (no
 * note either). The pmem it writes is persisted with msync: no finding.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long counter;

static long
count(void)
{
#ifndef NO_LOCK
	long one = 1;
	__asm__ volatile("lock xaddq %0, %1" : "+r"(one), "+m"(counter)
			:: "memory");
	return one;
#else
	return counter++;
#endif
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE|--no-pmem", argv[0]);
	long n = count();
	if (strcmp(argv[1], "--no-pmem") == 0)
		return n == 0 ? 0 : 1;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		err(1, "%s", argv[1]);
	char *pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	snprintf(pm, 64, "count %ld", n);
	if (msync(pm, 4096, MS_SYNC) != 0)
		err(1, "msync");
	return 0;
}
