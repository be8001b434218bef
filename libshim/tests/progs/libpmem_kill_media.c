/*
 * libpmem_kill_media.c -- what pmem_persist leaves on the media when the
 * program is killed: a persist writes its lines, after the older
 * write-back of the same line still in flight on this thread (a flush
 * with no fence yet); unflushed and unfenced lines stay as they were
 *
 * usage: libpmem_kill_media FILE   (killed by SIGKILL at its end)
 */
#include <libpmem.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define POOL_LEN (1 << 20)

int
main(int argc, char *argv[])
{
	size_t len;
	int is_pmem;
	if (argc != 2)
		return 2;
	char *pm = pmem_map_file(argv[1], POOL_LEN, PMEM_FILE_CREATE, 0644,
			&len, &is_pmem);
	if (pm == NULL) {
		perror("pmem_map_file");
		return 1;
	}
	memset(pm, 'A', POOL_LEN);
	pmem_persist(pm, POOL_LEN);    /* nothing in flight before it */
	memset(pm, 'C', 64);
	pmem_flush(pm, 64);            /* in flight on this thread */
	memset(pm, 'E', 64);
	pmem_persist(pm, 64);          /* C then E reach the media: E */
	memset(pm + 4096, 'B', 4096);  /* never flushed */
	memset(pm + 8192, 'F', 64);
	pmem_flush(pm + 8192, 64);     /* never fenced */
	raise(SIGKILL);
	return 0;
}
