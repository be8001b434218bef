/* trace_v2_test.h -- what the version-2 trace tests share: a writer
 * with one region declared, a record patched (and resealed: forged), a
 * trace whose reading fails at a given record, its events one by one */
#ifndef PMEMU_TRACE_V2_TEST_H
#define PMEMU_TRACE_V2_TEST_H 1

#include <stdio.h>
#include <string.h>

#include "compact.h"
#include "trace.h"

/* open_writer -- a version-2 trace at path with region 0 (1 GiB) */
static struct trace_writer *
open_writer(const char *path)
{
	struct trace_writer_info info = { MODEL_DOMAIN_ADR, 64, 512, false,
		"test", 2 };
	struct trace_writer *w;
	assert_int_equal(trace_writer_open(path, &info, &w), 0);
	uint32_t region[6] = { 0, 0, 0, 0, 64, 0 };
	uint64_t len = 1ull << 30;
	memcpy(&region[2], &len, 8);
	assert_int_equal(trace_append(w, TRACE_REC_REGION, 0, 0, region,
			sizeof(region), "/pmem/pool", 11), 0);
	return w;
}

/* patch -- len bytes at off; resealed (a forged record) when reseal */
static void
patch(const char *path, uint64_t off, const void *b, size_t len,
		uint64_t rec, bool reseal)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, (long)off, SEEK_SET);
	assert_int_equal(fwrite(b, 1, len, f), len);
	if (reseal) {
		uint8_t buf[128]; /* the tests' records are shorter */
		fseek(f, (long)rec, SEEK_SET);
		size_t n = fread(buf, 1, sizeof(buf), f);
		size_t total = (6 + 1 + buf[6] + 3) & ~3u;
		assert_true(n >= total && buf[6] < 0x80);
		uint32_t seal = trace_v2_seal(buf + 4, total - 4);
		fseek(f, (long)rec, SEEK_SET);
		fwrite(&seal, 4, 1, f);
	}
	fclose(f);
}

/* expect_error -- reading path fails naming off and why */
static void
expect_error(const char *path, uint64_t off, const char *why)
{
	struct trace_reader *r;
	char err[512], want[64];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec)) == 1)
		;
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want), "record at offset %llu",
			(unsigned long long)off);
	const char *e = trace_reader_error(r);
	if (strstr(e, want) == NULL || strstr(e, why) == NULL ||
			strchr(e, '\n') != NULL)
		fail_msg("'%s' lacks '%s' or '%s'", e, want, why);
	trace_reader_close(r);
}

/* each_event -- seen(ctx, rec, its record's length) for every event
 * record of path, in order (the data valid until it returns); a trace
 * that does not read to its end fails the test */
static void
each_event(const char *path, void (*seen)(void *ctx,
		const struct trace_rec *rec, uint64_t len), void *ctx)
{
	struct trace_reader *r;
	char err[512];
	if (trace_reader_open(path, &r, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec)) == 1)
		if (rec.type < MODEL_EV_MAX)
			seen(ctx, &rec, trace_reader_good_end(r) -
					rec.file_off);
	if (rc < 0)
		fail_msg("%s", trace_reader_error(r));
	trace_reader_close(r);
}

#endif /* PMEMU_TRACE_V2_TEST_H */
