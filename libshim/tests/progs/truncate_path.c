/*
 * truncate_path.c -- a pmem file made 8192 bytes, written and synced
 * through a mapping, then cut to 4096 by truncate() of its path: the
 * program's descriptor must see 4096 (fstat), as natively; under pmemu
 * the real call cut the media alone and the descriptor, a view's, still
 * saw 8192. No finding either way.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	int fd = open(argv[1], O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 8192) != 0)
		err(1, "%s", argv[1]);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	memset(p, 1, 8192);
	if (msync(p, 8192, MS_SYNC) != 0 || munmap(p, 8192) != 0)
		err(1, "msync");
	if (truncate(argv[1], 4096) != 0)
		err(1, "truncate");
	struct stat st;
	if (fstat(fd, &st) != 0)
		err(1, "fstat");
	printf("size %lld\n", (long long)st.st_size);
	return 0;
}
