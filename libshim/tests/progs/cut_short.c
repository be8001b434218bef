/*
 * cut_short.c -- a store to a pmem file never flushed (a bug), then the
 * end: argv[2] "exit" (return from main: reported), "abort" (SIGABRT),
 * "raw_exit" (an exit_group system call of its own, as a runtime without
 * libc's exit makes). The last two end without the shim's shutdown: its
 * findings of the end are never written, and `pmemu run` said "no
 * findings".
 */
#include <err.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 3)
		errx(2, "usage: %s POOL exit|abort|raw_exit", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		err(1, "open");
	char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		0);
	if (map == MAP_FAILED)
		err(1, "mmap");
	map[64] = 1; /* STORE */
	if (strcmp(argv[2], "abort") == 0)
		abort();
	if (strcmp(argv[2], "raw_exit") == 0)
		syscall(SYS_exit_group, 0);
	return 0;
}
