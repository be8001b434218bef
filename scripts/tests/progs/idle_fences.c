/* idle_fences.c -- three fences with nothing flushed before them, then
 * one line persisted: only the last fence waits for a write-back */
#include <libpmem.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	size_t mapped;
	char *pool = argc < 2 ? NULL : pmem_map_file(argv[1], 4096,
			PMEM_FILE_CREATE, 0644, &mapped, NULL);
	if (pool == NULL) {
		fprintf(stderr, "usage: idle_fences POOL\n");
		return 2;
	}
	for (int i = 0; i < 3; i++)
		pmem_drain();
	pool[0] = 1;
	pmem_persist(pool, 1);
	pmem_unmap(pool, mapped);
	return 0;
}
