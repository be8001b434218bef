/*
 * pwrite_fsync.c -- the standard file API: pwrite + fsync on the page
 * cache, where a page reaches the disk one sector at a time
 *
 * A header sector names the live record (offset, generation, checksum);
 * records are 1024 bytes (two sectors) in two slots. An update writes the
 * inactive slot, fsyncs, then rewrites the header (one sector: atomic)
 * and fsyncs. The check verifies the record the header names.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ct.h"

#define SECTOR 512
#define REC_LEN 1024
#define UPDATES 3

struct header {
	uint64_t gen;
	uint64_t off;              /* of the live record, 0: none */
	uint64_t sum;              /* ct_sum of that record */
};

static int
file_open(const char *path, int oflags)
{
	int fd = open(path, oflags, 0644);
	if (fd < 0)
		ct_die("open %s: %m", path);
	return fd;
}

static void
write_all(int fd, const void *buf, size_t len, off_t off)
{
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		ct_die("pwrite: %m");
}

static void
update(int fd, struct header *h, uint64_t gen)
{
	char rec[REC_LEN];
	memset(rec, (int)('a' + gen), sizeof(rec));
	memcpy(rec, &gen, sizeof(gen));
	uint64_t off = SECTOR + (gen & 1) * REC_LEN;
	if (ct_bug("torn-sector") && h->off != 0)
		off = h->off; /* in place: two sectors, not atomic */
	write_all(fd, rec, sizeof(rec), (off_t)off); /* PLANTED: torn-sector missing-flush */
	if (!ct_bug("missing-flush") && fsync(fd) != 0)
		ct_die("fsync: %m");
	h->gen = gen;
	h->off = off;
	h->sum = ct_sum(rec, sizeof(rec));
	write_all(fd, h, sizeof(*h), 0);
	if (fsync(fd) != 0)
		ct_die("fsync: %m");
}

static int
file_run(const char *pool)
{
	int fd = file_open(pool, O_RDWR | O_CREAT | O_TRUNC);
	struct header h = { 0, 0, 0 };
	write_all(fd, &h, sizeof(h), 0);
	if (ftruncate(fd, SECTOR + 2 * REC_LEN) != 0 || fsync(fd) != 0)
		ct_die("ftruncate: %m");
	for (uint64_t gen = 1; gen <= UPDATES; gen++)
		update(fd, &h, gen);
	close(fd);
	return 0;
}

static int
file_check(const char *pool)
{
	int fd = file_open(pool, O_RDONLY);
	struct header h;
	char rec[REC_LEN];
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return ct_fail("no header");
	if (h.off == 0)
		return 0;
	if (h.off + REC_LEN > SECTOR + 2 * REC_LEN ||
			pread(fd, rec, sizeof(rec), (off_t)h.off) != REC_LEN)
		return ct_fail("header names offset %llu",
				(unsigned long long)h.off);
	if (ct_sum(rec, sizeof(rec)) != h.sum)
		return ct_fail("record %llu at %llu is not whole",
				(unsigned long long)h.gen,
				(unsigned long long)h.off);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "missing-flush", "torn-sector",
		NULL };
	static const struct ct_program p = { "pwrite_fsync", bugs, file_run,
		file_check };
	return ct_main(&p, argc, argv);
}
