/* commit.c -- a two-field commit record: data (line 0), then a valid flag
 * (line 1). argv[2] picks the order: "wrong" persists the flag first,
 * "right" persists the data, then the flag. */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pmemu.h"

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
	volatile uint64_t *flag = (uint64_t *)(p + 64);
	if (strcmp(argv[2], "wrong") == 0) {
		data[0] = 42;
		*flag = 1;
		pmem_persist((void *)flag, 8);
		pmem_persist((void *)data, 8);
	} else {
		data[0] = 42;
		pmem_persist((void *)data, 8);
		*flag = 1;
		pmem_persist((void *)flag, 8);
	}
	pmemu_crash_point("committed");
	pmem_unmap(p, len);
	return 0;
}
