/* copy4k.c -- one 4 KiB pmem_memcpy_persist over different bytes, then a
 * valid flag in its own line: `copy4k w FILE` writes, `copy4k c FILE`
 * exits 1 when the flag is set and the block is not whole. Every torn
 * state of the copy is consistent; with its 64 lines each lost, written
 * back or one of 254 torn contents there are 2^512 of them. */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BLOCK 4096

static uint8_t
pattern(size_t i)
{
	return (uint8_t)(i * 7 + 1);
}

int
main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "w") != 0 &&
			strcmp(argv[1], "c") != 0)) {
		fprintf(stderr, "usage: copy4k w|c FILE\n");
		return 2;
	}
	size_t len;
	int is_pmem;
	uint8_t *p = pmem_map_file(argv[2], 2 * BLOCK, PMEM_FILE_CREATE, 0644,
			&len, &is_pmem);
	if (p == NULL) {
		perror("pmem_map_file");
		return 2;
	}
	volatile uint64_t *valid = (uint64_t *)(p + BLOCK);
	if (argv[1][0] == 'c') {
		for (size_t i = 0; *valid && i < BLOCK; i++)
			if (p[i] != pattern(i))
				return 1;
		return 0;
	}
	uint8_t src[BLOCK];
	for (size_t i = 0; i < BLOCK; i++)
		src[i] = pattern(i);
	pmem_memset_persist(p, 0xaa, BLOCK);
	pmem_memcpy_persist(p, src, BLOCK);
	*valid = 1;
	pmem_persist((void *)valid, sizeof(*valid));
	pmem_unmap(p, len);
	return 0;
}
