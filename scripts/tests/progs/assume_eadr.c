/* assume_eadr.c -- a commit record (data on line 0, then a valid flag on
 * line 1) that relies on the platform. argv[2] "buggy" flushes nothing,
 * as if the caches were always persistent (eADR) without asking;
 * "checked" asks pmem_has_auto_flush() and flushes when it says no.
 * The pool is created (exclusive): each recording starts without it. */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* persist_unless_eadr -- a flush only where the platform needs one */
static void
persist_unless_eadr(const void *addr, size_t len, int checked)
{
	if (checked && pmem_has_auto_flush() != 1)
		pmem_flush(addr, len);
	pmem_drain();
}

/* commit -- data, then the flag that says it is there */
static void
commit(char *pool, int checked)
{
	volatile uint64_t *data = (uint64_t *)pool;
	volatile uint64_t *flag = (uint64_t *)(pool + 64);
	data[0] = 42;
	persist_unless_eadr((void *)data, 8, checked);
	*flag = 1;
	persist_unless_eadr((void *)flag, 8, checked);
}

int
main(int argc, char **argv)
{
	size_t mapped;
	char *pool = argc < 3 ? NULL : pmem_map_file(argv[1], 4096,
			PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0644, &mapped, NULL);
	if (pool == NULL) {
		fprintf(stderr, "usage: assume_eadr POOL buggy|checked (a new "
			"file)\n");
		return 2;
	}
	commit(pool, strcmp(argv[2], "checked") == 0);
	pmem_unmap(pool, mapped);
	return 0;
}
