/* devdax.c DEV -- what a program sees of an emulated device DAX DEV:
 * one line per probe, "name result" (errno names for failures), then a
 * record written with pmem_memcpy_persist at offset 0 ("hello") */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MiB2 (2u << 20)

static const char *
err(long ret)
{
	return ret >= 0 ? "ok" : errno == EINVAL ? "EINVAL" :
		errno == ENODEV ? "ENODEV" : errno == ESPIPE ? "ESPIPE" :
		strerror(errno);
}

/* map_probe -- an mmap of fd: EINVAL, or "aligned" / "unaligned" */
static const char *
map_probe(int fd, size_t len, int flags, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	if (p == MAP_FAILED)
		return err(-1);
	munmap(p, len);
	return (uintptr_t)p % MiB2 ? "unaligned" : "aligned";
}

static void
fd_probes(const char *dev)
{
	struct stat st;
	int fd = open(dev, O_RDWR);
	char buf[8] = "";
	int ret = stat(dev, &st);
	printf("stat %s size=%lld major=%u\n", ret == 0 &&
		S_ISCHR(st.st_mode) ? "chr" : "other", (long long)st.st_size,
		major(st.st_rdev));
	struct statx stx;
	ret = statx(AT_FDCWD, dev, 0, STATX_BASIC_STATS, &stx);
	printf("statx %s major=%u\n", ret == 0 && S_ISCHR(stx.stx_mode) ?
		"chr" : "other", stx.stx_rdev_major);
	printf("fstat %s\n", fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) ?
		"chr" : "other");
	printf("read %s\n", err(read(fd, buf, sizeof(buf))));
	printf("pwrite %s\n", err(pwrite(fd, buf, sizeof(buf), 0)));
	printf("fsync %s\n", err(fsync(fd)));
	printf("ftruncate %s\n", err(ftruncate(fd, 0)));
	printf("fallocate %s\n", err(fallocate(fd, 0, 0, 4096)));
	printf("mmap-private %s\n", map_probe(fd, MiB2, MAP_PRIVATE, 0));
	printf("mmap-4k %s\n", map_probe(fd, 4096, MAP_SHARED, 0));
	printf("mmap-offset-4k %s\n", map_probe(fd, MiB2, MAP_SHARED, 4096));
	printf("mmap-2m %s\n", map_probe(fd, MiB2, MAP_SHARED, 0));
	close(fd);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	fd_probes(argv[1]);
	size_t len;
	int is_pmem;
	printf("pmem_map_file-excl %s\n", pmem_map_file(argv[1], 0,
		PMEM_FILE_EXCL, 0, &len, &is_pmem) ? "ok" : err(-1));
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0, &len,
			&is_pmem);
	if (p == NULL) {
		perror("pmem_map_file");
		return 1;
	}
	printf("pmem_map_file len=%zu is_pmem=%d aligned=%d\n", len, is_pmem,
		(uintptr_t)p % MiB2 == 0);
	printf("msync %s\n", err(pmem_msync(p, 4096)));
	pmem_memcpy_persist(p, "hello", 6);
	pmem_unmap(p, len);
	return 0;
}
