/*
 * line_sites.c -- two functions write two lines of one page: the first
 * line is never flushed; the second is flushed, then written again and
 * not flushed again. A plain build sees both only by page protection
 * (one fault: write_header's); its findings must still name the function
 * that wrote each line (test_findings_builds.py).
 *
 * usage: line_sites FILE
 */
#include <err.h>
#include <libpmem.h>
#include <stddef.h>

#define LEN 8192

static __attribute__((noinline)) void
write_header(volatile char *pm)
{
	pm[0] = 1; /* HEADER */
}

static __attribute__((noinline)) void
write_count(volatile char *pm)
{
	pm[0x100] = 1; /* COUNT */
	pmem_flush((char *)pm + 0x100, 1); /* COUNT_FLUSH */
	pm[0x100] = 2; /* COUNT_AGAIN */
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	size_t mapped;
	char *pm = pmem_map_file(argv[1], LEN, PMEM_FILE_CREATE, 0644,
			&mapped, NULL);
	if (pm == NULL)
		err(1, "pmem_map_file %s", argv[1]);
	write_header(pm);
	write_count(pm);
	pmem_drain();
	pmem_unmap(pm, mapped);
	return 0;
}
