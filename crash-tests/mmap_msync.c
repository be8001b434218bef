/*
 * mmap_msync.c -- raw mmap + msync, the path of the seed's Listing 3-1
 *
 * A file of two pages: page 0 holds the record count, page 1 the records.
 * Each record is stored through the mapping and msync'ed before the count
 * that covers it is stored and msync'ed. The check verifies every counted
 * record's checksum.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ct.h"

#define PAGE 4096
#define RECORDS 2

struct record {
	char text[48];
	uint64_t seq;
	uint64_t sum;              /* ct_sum of text and seq */
};

struct file {
	uint64_t count;            /* records committed */
	char pad[PAGE - 8];
	struct record rec[PAGE / sizeof(struct record)];
};

static struct file *
file_map(const char *path, int oflags)
{
	int fd = open(path, oflags, 0644);
	if (fd < 0)
		ct_die("open %s: %m", path);
	if ((oflags & O_CREAT) && ftruncate(fd, sizeof(struct file)) != 0)
		ct_die("ftruncate %s: %m", path);
	struct file *f = mmap(NULL, sizeof(struct file),
			PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED)
		ct_die("mmap %s: %m", path);
	close(fd); /* the mapping stays */
	return f;
}

static void
record_append(struct file *f, const char *text)
{
	struct record *r = &f->rec[f->count];
	r->seq = f->count + 1; /* PLANTED: missing-flush */
	memcpy(r->text, text, strlen(text) + 1);
	r->sum = ct_sum(r, offsetof(struct record, sum));
	if (!ct_bug("missing-flush") && msync(f->rec, PAGE, MS_SYNC) != 0)
		ct_die("msync: %m");
	f->count++;
	if (msync(f, PAGE, MS_SYNC) != 0)
		ct_die("msync: %m");
}

static int
file_run(const char *pool)
{
	struct file *f = file_map(pool, O_RDWR | O_CREAT);
	static const char *const texts[RECORDS] = { "This is new data",
		"written to the file" };
	for (int i = 0; i < RECORDS; i++)
		record_append(f, texts[i]);
	munmap(f, sizeof(*f));
	return 0;
}

static int
file_check(const char *pool)
{
	struct file *f = file_map(pool, O_RDWR);
	if (f->count > RECORDS)
		return ct_fail("count %llu", (unsigned long long)f->count);
	for (uint64_t i = 0; i < f->count; i++) {
		const struct record *r = &f->rec[i];
		if (r->seq != i + 1 ||
				ct_sum(r, offsetof(struct record, sum)) != r->sum)
			return ct_fail("record %llu of %llu is not whole",
					(unsigned long long)i,
					(unsigned long long)f->count);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const bugs[] = { "missing-flush", NULL };
	static const struct ct_program p = { "mmap_msync", bugs, file_run,
		file_check };
	return ct_main(&p, argc, argv);
}
