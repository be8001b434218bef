/* together.c -- data and its flag: in ONE line written in program order
 * and persisted together ("one"), correct on x86; or in two lines under
 * one persist ("two"), a bug: the flag's line may persist alone. */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	size_t len;
	int is_pmem;
	if (argc < 3)
		return 2;
	char *p = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE, 0644, &len,
			&is_pmem);
	if (p == NULL) {
		perror("pmem_map_file");
		return 1;
	}
	volatile uint64_t *data = (uint64_t *)p;
	volatile uint64_t *flag = strcmp(argv[2], "one") == 0 ?
		(uint64_t *)(p + 8) : (uint64_t *)(p + 64);
	data[0] = 42;
	*flag = 1;
	pmem_persist(p, 128);
	pmem_unmap(p, len);
	return 0;
}
