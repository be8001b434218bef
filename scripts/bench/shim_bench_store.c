/*
 * shim_bench_store.c -- libpmem: store every 8-byte word of a 16 MiB pool
 * and pmem_persist each 64-byte line once it is written
 */
#include <err.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>

#define POOL (16u << 20)

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	size_t len;
	int is_pmem;
	uint64_t *p = pmem_map_file(argv[1], POOL, PMEM_FILE_CREATE, 0644, &len,
			&is_pmem);
	if (p == NULL)
		err(1, "pmem_map_file");
	for (size_t line = 0; line < POOL / 64; line++) {
		uint64_t *w = p + line * 8;
		for (int i = 0; i < 8; i++)
			w[i] = line * 8 + i;
		pmem_persist(w, 64);
	}
	pmem_unmap(p, len);
	return 0;
}
