/*
 * account.c -- the README's plugin example: two fields, one persisted
 *
 * Both stores land on one page. Page protection sees the first store to
 * the page (balance) and credits the page's unpersisted line to it; built
 * with the GCC plugin every store has its own site, and pmemu names the
 * store that was never persisted (last_update).
 */
#include <stdint.h>
#include <stdio.h>

#include <libpmem.h>

struct account {
	uint64_t balance;
	char pad[56];
	uint64_t last_update;   /* another cache line, same page */
};

int
main(int argc, char **argv)
{
	size_t len;
	int is_pmem;
	if (argc != 2) {
		fprintf(stderr, "usage: %s POOL\n", argv[0]);
		return 2;
	}
	struct account *acc = pmem_map_file(argv[1], 4096, PMEM_FILE_CREATE,
			0644, &len, &is_pmem);
	if (acc == NULL) {
		perror(argv[1]);
		return 1;
	}
	acc->balance = 100;
	acc->last_update = 1700000000;  /* never persisted */
	pmem_persist(&acc->balance, sizeof(acc->balance));
	pmem_unmap(acc, len);
	return 0;
}
