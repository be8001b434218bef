/*
 * pmem_log.c -- libpmem: an append-only log with a commit word
 *
 * Like PMDK's pmemlog: entries are written past the committed end, made
 * durable, and only then does the 8-byte commit word (the end offset)
 * move over them. The check walks the committed entries and verifies
 * each one's checksum: a committed entry must be whole.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <libpmem.h>

#include "ct.h"

#define LOG_LEN 4096
#define ENTRIES 4

struct entry {
	uint32_t len;              /* payload bytes */
	uint32_t pad;
	uint64_t sum;              /* ct_sum of the payload */
	char payload[];
};

struct log {
	uint64_t committed;        /* bytes of data[] that are committed */
	char pad[56];
	char data[LOG_LEN - 64];
};

static struct log *
log_map(const char *path, int flags)
{
	size_t len;
	struct log *log = pmem_map_file(path, flags ? sizeof(struct log) : 0,
			flags, 0644, &len, NULL);
	if (log == NULL)
		ct_die("%s: %m", path);
	if (len < sizeof(struct log))
		ct_die("%s: %zu bytes, too short for a log", path, len);
	return log;
}

static void
log_append(struct log *log, const char *msg)
{
	struct entry *e = (struct entry *)(log->data + log->committed);
	size_t n = strlen(msg) + 1;
	size_t len = (sizeof(*e) + n + 7) & ~(size_t)7;
	e->len = (uint32_t)n; /* PLANTED: missing-flush */
	e->sum = ct_sum(msg, n);
	memcpy(e->payload, msg, n);
	if (ct_bug("flush-no-fence"))
		pmem_flush(e, len); /* PLANTED: flush-no-fence */
	else if (!ct_bug("missing-flush"))
		pmem_persist(e, len);
	log->committed += len;
	pmem_persist(&log->committed, sizeof(log->committed));
}

static int
log_run(const char *pool)
{
	static const char *const msgs[ENTRIES] = { "alpha", "bravo charlie",
		"delta", "echo foxtrot golf" };
	struct log *log = log_map(pool, PMEM_FILE_CREATE);
	for (int i = 0; i < ENTRIES; i++)
		log_append(log, msgs[i]);
	pmem_unmap(log, sizeof(*log));
	return 0;
}

static int
log_check(const char *pool)
{
	struct log *log = log_map(pool, 0);
	if (log->committed > sizeof(log->data))
		return ct_fail("commit word %llu past the log",
				(unsigned long long)log->committed);
	for (uint64_t off = 0; off < log->committed;) {
		struct entry *e = (struct entry *)(log->data + off);
		size_t len = (sizeof(*e) + e->len + 7) & ~(size_t)7;
		if (e->len == 0 || off + len > log->committed)
			return ct_fail("entry at %llu: bad length %u",
					(unsigned long long)off, e->len);
		if (ct_sum(e->payload, e->len) != e->sum)
			return ct_fail("entry at %llu: bad checksum",
					(unsigned long long)off);
		off += len;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "missing-flush", "flush-no-fence",
		NULL };
	static const struct ct_program p = { "pmem_log", bugs, log_run,
		log_check };
	return ct_main(&p, argc, argv);
}
