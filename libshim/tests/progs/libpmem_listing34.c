/*
 * libpmem_listing34.c -- what the seed's Listing 3-4 does: map a pmem file
 * with pmem_map_file, copy a string in with strcpy, and make it durable
 * with pmem_persist (on pmem) or pmem_msync (through the page cache).
 * Built twice: FORGET_PERSIST leaves the string unpersisted.
 *
 * usage: libpmem_listing34 FILE
 */
#include <libpmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_LEN 4096

static const char message[] = "This is new data written to the file";

static void
make_durable(char *addr, size_t len, int is_pmem)
{
#ifndef FORGET_PERSIST
	if (is_pmem)
		pmem_persist(addr, len); /* PERSIST */
	else
		pmem_msync(addr, len); /* MSYNC */
#else
	(void)addr;
	(void)len;
	(void)is_pmem;
#endif
}

int
main(int argc, char *argv[])
{
	size_t mapped_len;
	int is_pmem;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	char *addr = pmem_map_file(argv[1], POOL_LEN, PMEM_FILE_CREATE, 0666,
			&mapped_len, &is_pmem);
	if (addr == NULL) {
		fprintf(stderr, "pmem_map_file: %s\n", pmem_errormsg());
		return 1;
	}
	strcpy(addr, message); /* STORE */
	make_durable(addr, sizeof(message), is_pmem);
	printf("is_pmem=%d mapped_len=%zu\n", is_pmem, mapped_len);
	pmem_unmap(addr, mapped_len);
	return 0;
}
