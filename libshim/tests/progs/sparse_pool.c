/*
 * sparse_pool.c -- a 1 GiB sparse pool of which 1 MiB is touched; prints
 * the bytes its view file holds and the process's peak resident memory
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define POOL (1ull << 30)
#define TOUCHED (1u << 20)

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)POOL) < 0)
		err(1, "%s", argv[1]);
	char *pm = mmap(NULL, POOL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pm == MAP_FAILED)
		err(1, "mmap");
	memset(pm + POOL / 2, 0x5a, TOUCHED);
	if (msync(pm + POOL / 2, TOUCHED, MS_SYNC) < 0)
		err(1, "msync");
	struct stat st;
	struct rusage ru;
	fstat(fd, &st); /* under pmemu, fd is the view */
	getrusage(RUSAGE_SELF, &ru);
	printf("allocated %lld\nmaxrss_kib %ld\n",
		(long long)st.st_blocks * 512, ru.ru_maxrss);
	return 0;
}
