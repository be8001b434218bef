/*
 * demo_log.c -- pmemu's built-in demo: a persistent log with a bug
 *
 *   pmemu-demo append POOL MSG...   append each MSG to the log in POOL
 *   pmemu-demo check POOL           exit 0 if the log is consistent
 *
 * Each entry is written, then the entry count is persisted. The bug: the
 * entry itself is never flushed, so a power failure after the count
 * reached the media leaves a counted entry that is empty. `pmemu run`
 * reports the store that was never made durable; `pmemu explore` finds
 * the crash state and names the line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpmem.h>

#define ENTRIES 64
#define ENTRY_LEN 64

struct demo_log {
	uint64_t count;                       /* entries committed */
	char pad[56];
	char entry[ENTRIES][ENTRY_LEN];       /* one cache line each */
};

static struct demo_log *
log_open(const char *path)
{
	size_t len;
	int is_pmem;
	struct demo_log *log = pmem_map_file(path, sizeof(struct demo_log),
			PMEM_FILE_CREATE, 0644, &len, &is_pmem);
	if (log == NULL) {
		perror(path);
		exit(2);
	}
	return log;
}

static void
log_append(struct demo_log *log, const char *msg)
{
	char *e = log->entry[log->count % ENTRIES];
	strncpy(e, msg, ENTRY_LEN - 1);
	/* BUG: the entry is not persisted before the count that covers it */
	log->count++;
	pmem_persist(&log->count, sizeof(log->count));
}

static int
log_check(const struct demo_log *log)
{
	for (uint64_t i = 0; i < log->count && i < ENTRIES; i++) {
		if (log->entry[i][0] == '\0') {
			printf("entry %llu of %llu is empty\n",
					(unsigned long long)i,
					(unsigned long long)log->count);
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "append") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: %s append POOL MSG... | check POOL\n",
				argv[0]);
		return 2;
	}
	struct demo_log *log = log_open(argv[2]);
	if (strcmp(argv[1], "check") == 0)
		return log_check(log);
	for (int i = 3; i < argc; i++)
		log_append(log, argv[i]);
	pmem_unmap(log, sizeof(*log));
	return 0;
}
