/*
 * libpmem_map_flags.c -- pmem_map_file's flags on emulated files: a
 * temporary file (TMPFILE) that leaves no name, a sparse exclusive file,
 * EXCL refusing an existing file, len 0 mapping an existing file whole.
 * Every store is persisted: the run must have no findings.
 *
 * usage: libpmem_map_flags DIR
 */
#include <errno.h>
#include <libpmem.h>
#include <stdio.h>
#include <string.h>

#define SPARSE_LEN (1 << 20)

static int
map_tmpfile(const char *dir)
{
	size_t len;
	int is_pmem;
	char *a = pmem_map_file(dir, 8192,
			PMEM_FILE_CREATE | PMEM_FILE_TMPFILE, 0, &len, &is_pmem);
	if (a == NULL) {
		printf("tmpfile: %s\n", pmem_errormsg());
		return 1;
	}
	strcpy(a, "scratch");
	pmem_persist(a, sizeof("scratch"));
	printf("tmpfile len=%zu is_pmem=%d\n", len, is_pmem);
	return pmem_unmap(a, len);
}

static int
map_sparse_then_reopen(const char *path)
{
	size_t len;
	int is_pmem;
	char *a = pmem_map_file(path, SPARSE_LEN, PMEM_FILE_CREATE |
			PMEM_FILE_SPARSE | PMEM_FILE_EXCL, 0600, &len, &is_pmem);
	if (a == NULL) {
		printf("sparse: %s\n", pmem_errormsg());
		return 1;
	}
	a[4096] = 42;
	pmem_persist(a + 4096, 1);
	pmem_unmap(a, len);
	errno = 0;
	a = pmem_map_file(path, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL,
			0600, &len, &is_pmem);
	printf("excl again: %s errno=%d\n", a ? "mapped" : "refused", errno);
	a = pmem_map_file(path, 0, 0, 0, &len, &is_pmem);
	if (a == NULL) {
		printf("reopen: %s\n", pmem_errormsg());
		return 1;
	}
	printf("reopen len=%zu is_pmem=%d byte=%d\n", len, is_pmem, a[4096]);
	return pmem_unmap(a, len);
}

int
main(int argc, char *argv[])
{
	char path[4096];
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/sparse", argv[1]);
	return map_tmpfile(argv[1]) || map_sparse_then_reopen(path);
}
