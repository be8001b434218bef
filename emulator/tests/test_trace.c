/* test_trace.c -- the trace writer and reader: order, cut-offs, corruption
 * (the frame tests of version 1; those of any version run for both) */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "trace.h"
#include "trace_tmpdir.h"

static uint32_t version = 1; /* of the traces open_writer writes */

static struct trace_writer *
open_writer(const char *path)
{
	struct trace_writer_info info = { MODEL_DOMAIN_ADR, 64, 512, false,
		"test", version };
	struct trace_writer *w;
	assert_int_equal(trace_writer_open(path, &info, &w), 0);
	return w;
}

/* write_sample -- a store with bytes, an untraced store, a flush, a
 * fence, a marker; returns the number of records (with END) */
static int
write_sample(const char *path)
{
	struct trace_writer *w = open_writer(path);
	uint32_t region[6] = { 0, 0, 4096, 0, 64, 0 };
	assert_int_equal(trace_append(w, TRACE_REC_REGION, 0, 0, region,
			sizeof(region), "/pmem/pool", 11), 0);
	uint8_t v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct model_event evs[] = {
		{ MODEL_EV_STORE, 7, 1, 0, 8, 8, v },
		{ MODEL_EV_STORE, 7, 2, 0, 64, 8, NULL },
		{ MODEL_EV_CLWB, 7, 3, 0, 0, 64, NULL },
		{ MODEL_EV_SFENCE, 7, 4, 0, 0, 0, NULL },
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(trace_append_event(w, &evs[i]), 0);
	assert_int_equal(trace_append(w, TRACE_REC_MARKER, 7, 0, "commit", 7,
			NULL, 0), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	return 7;
}

static void
test_roundtrip(void **state)
{
	(void)state;
	const char *path = tmp_path("rt.trace");
	int n = write_sample(path);
	char err[512];
	struct trace_reader *r;
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(trace_reader_header(r)->line_len, 64);
	struct trace_rec rec;
	uint16_t types[] = { TRACE_REC_REGION, MODEL_EV_STORE, MODEL_EV_STORE,
		MODEL_EV_CLWB, MODEL_EV_SFENCE, TRACE_REC_MARKER, TRACE_REC_END };
	for (int i = 0; i < n; i++) {
		assert_int_equal(trace_next(r, &rec), 1);
		assert_int_equal(rec.type, types[i]);
		if (i == 1) {
			assert_int_equal(rec.ev.off, 8);
			assert_non_null(rec.ev.data);
			assert_int_equal(rec.ev.data[7], 8);
			assert_int_equal(rec.site, 1);
		}
		if (i == 2)
			assert_null(rec.ev.data);
		if (i == 5)
			assert_string_equal((const char *)rec.body, "commit");
	}
	assert_int_equal(trace_next(r, &rec), 0);
	assert_false(trace_reader_truncated(r));
	trace_reader_close(r);
}

/* count_records -- whole records readable; -1 on error */
static int
count_records(const char *path, bool *truncated, char *err, size_t errlen)
{
	struct trace_reader *r;
	if (trace_reader_open(path, &r, err, errlen) != 0)
		return -1;
	struct trace_rec rec;
	int n = 0, rc;
	while ((rc = trace_next(r, &rec)) == 1)
		n++;
	if (rc < 0)
		snprintf(err, errlen, "%s", trace_reader_error(r));
	*truncated = trace_reader_truncated(r);
	trace_reader_close(r);
	return rc < 0 ? -1 : n;
}

static void
copy_prefix(const char *from, const char *to, size_t cut)
{
	FILE *f = fopen(from, "rb");
	assert_non_null(f);
	char *buf = malloc(cut + 1);
	assert_int_equal(fread(buf, 1, cut, f), cut);
	fclose(f);
	FILE *g = fopen(to, "wb");
	assert_int_equal(fwrite(buf, 1, cut, g), cut);
	fclose(g);
	free(buf);
}

static void
test_cut_at_every_byte(void **state)
{
	(void)state;
	const char *path = tmp_path("cut.trace");
	int n = write_sample(path);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	/* record ends, to know how many whole records each prefix holds */
	uint64_t ends[16];
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec;
	for (int i = 0; i < n; i++) {
		assert_int_equal(trace_next(r, &rec), 1);
		ends[i] = trace_reader_good_end(r);
	}
	trace_reader_close(r);
	const char *cut_path = tmp_path("cut-prefix.trace");
	for (size_t cut = 0; cut < (size_t)st.st_size; cut++) {
		copy_prefix(path, cut_path, cut);
		bool truncated = false;
		int got = count_records(cut_path, &truncated, err, sizeof(err));
		if (cut < TRACE_HEADER_LEN) {
			assert_int_equal(got, -1);
			assert_non_null(strstr(err, "at offset 0"));
			continue;
		}
		int want = 0;
		while (want < n && ends[want] <= cut)
			want++;
		assert_int_equal(got, want);
		assert_true(truncated);
	}
}

static void
flip_byte(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, off, SEEK_SET);
	int c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
}

static void
test_corrupt_record_names_offset(void **state)
{
	(void)state;
	const char *path = tmp_path("bad.trace");
	write_sample(path);
	/* second record (the first store) starts after the region record */
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec;
	assert_int_equal(trace_next(r, &rec), 1);
	assert_int_equal(trace_next(r, &rec), 1);
	uint64_t off = rec.file_off;
	trace_reader_close(r);
	flip_byte(path, (long)off + TRACE_REC_HDR_LEN + 2);
	bool truncated;
	assert_int_equal(count_records(path, &truncated, err, sizeof(err)), -1);
	char want[64];
	snprintf(want, sizeof(want), "corrupt record at offset %llu",
			(unsigned long long)off);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "checksum"));
}

/* patch_u32 -- the u32 at off in the file */
static void
patch_u32(const char *path, long off, uint32_t v)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, off, SEEK_SET);
	assert_int_equal(fwrite(&v, 4, 1, f), 1);
	fclose(f);
}

/* expect_error -- reading path fails with both phrases in the message */
static void
expect_error(const char *path, const char *a, const char *b)
{
	char err[512];
	bool truncated;
	assert_int_equal(count_records(path, &truncated, err, sizeof(err)), -1);
	if (strstr(err, a) == NULL || strstr(err, b) == NULL)
		fail_msg("'%s' lacks '%s' or '%s'", err, a, b);
}

/* a sealed record claiming more bytes than the writer reserved is not
 * a killed writer's tail: the file is as long as data_end says */
static void
test_corrupt_length_is_not_truncation(void **state)
{
	(void)state;
	const char *path = tmp_path("len.trace");
	write_sample(path);
	patch_u32(path, TRACE_HEADER_LEN, 0xfffffff8u);
	expect_error(path, "corrupt record at offset 128", "bad length");
}

/* the writer leaves a seal of 0 or TRACE_SEAL: another value is
 * corruption; 0 before an END record too (the program did not die) */
static void
test_bad_or_missing_seal_before_end_is_corrupt(void **state)
{
	(void)state;
	const char *path = tmp_path("seal.trace");
	write_sample(path);
	long second = TRACE_HEADER_LEN + 24 + 24 + 16; /* after REGION */
	patch_u32(path, second + 20, 0x11111111u);
	expect_error(path, "corrupt record at offset 192", "bad seal");
	patch_u32(path, second + 20, 0);
	expect_error(path, "corrupt record at offset 192", "never sealed");
}

/* a record whose checksum is right but whose fields are absurd */
static void
test_invalid_fields_name_the_record(void **state)
{
	(void)state;
	struct { struct model_event ev; const char *why; } cases[] = {
		{ { MODEL_EV_CLWB, 7, 0, 0, 0, 0xffffffffull, NULL },
			"outside region 0" },
		{ { MODEL_EV_STORE, 7, 0, 0, 4090, 8, NULL },
			"outside region 0" },
		{ { MODEL_EV_MSYNC, 7, 0, 0, ~0ull - 8, 64, NULL },
			"wraps around" },
		{ { MODEL_EV_SNAPSHOT, 7, 0, 9, 0, 64, NULL },
			"region 9 was never declared" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = tmp_path("fields.trace");
		struct trace_writer *w = open_writer(path);
		uint32_t region[6] = { 0, 0, 4096, 0, 64, 0 };
		assert_int_equal(trace_append(w, TRACE_REC_REGION, 0, 0, region,
				sizeof(region), "/pmem/pool", 11), 0);
		assert_int_equal(trace_append_event(w, &cases[i].ev), 0);
		assert_int_equal(trace_writer_close(w, 0), 0);
		expect_error(path, "record at offset 192", cases[i].why);
	}
	uint64_t resize[2] = { 0, 1ull << 40 };
	const char *path = tmp_path("resize.trace");
	struct trace_writer *w = open_writer(path);
	uint32_t region[6] = { 0, 0, 4096, 0, 64, 0 };
	assert_int_equal(trace_append(w, TRACE_REC_REGION, 0, 0, region,
			sizeof(region), "/pmem/pool", 11), 0);
	assert_int_equal(trace_append(w, TRACE_REC_RESIZE, 0, 0, resize,
			sizeof(resize), NULL, 0), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	expect_error(path, "invalid resize record at offset 192",
			"over the maximum");
}

static void
test_foreign_file_is_rejected(void **state)
{
	(void)state;
	const char *path = tmp_path("foreign.txt");
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 20; i++)
		fputs("this is not a trace at all\n", f);
	fclose(f);
	char err[512];
	bool truncated;
	assert_int_equal(count_records(path, &truncated, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a pmemu trace"));
	assert_non_null(strstr(err, "offset 0"));
	assert_int_equal(count_records(tmp_path("missing.trace"), &truncated,
			err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

#define PER_THREAD 20000

struct thread_arg {
	struct trace_writer *w;
	uint32_t tid;
};

static void *
writer_thread(void *p)
{
	struct thread_arg *a = p;
	for (uint32_t i = 0; i < PER_THREAD; i++) {
		struct model_event ev = { MODEL_EV_SFENCE, a->tid, i, 0, 0, 0,
			NULL };
		assert_int_equal(trace_append_event(a->w, &ev), 0);
	}
	return NULL;
}

static void
test_threads_keep_their_order(void **state)
{
	(void)state;
	const char *path = tmp_path("mt.trace");
	struct trace_writer *w = open_writer(path);
	pthread_t th[4];
	struct thread_arg a[4];
	for (uint32_t i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){ w, i + 1 };
		pthread_create(&th[i], NULL, writer_thread, &a[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(trace_writer_close(w, 0), 0);
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	uint32_t next[5] = { 0 };
	struct trace_rec rec;
	int n = 0;
	while (trace_next(r, &rec) == 1) {
		if (rec.type != MODEL_EV_SFENCE)
			continue;
		assert_int_equal(rec.site, next[rec.tid]);
		next[rec.tid]++;
		n++;
	}
	assert_int_equal(n, 4 * PER_THREAD);
	trace_reader_close(r);
}

static void
test_killed_writer_leaves_usable_trace(void **state)
{
	(void)state;
	const char *path = tmp_path("killed.trace");
	pid_t pid = fork();
	if (pid == 0) {
		struct trace_writer *w = open_writer(path);
		for (uint32_t i = 0; i < 1000; i++) {
			struct model_event ev = { MODEL_EV_SFENCE, 1, i, 0, 0, 0,
				NULL };
			trace_append_event(w, &ev);
		}
		/* a forked grandchild appends to the same trace */
		pid_t g = fork();
		if (g == 0) {
			struct model_event ev = { MODEL_EV_MFENCE, 2, 0, 0, 0, 0,
				NULL };
			trace_append_event(w, &ev);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		raise(SIGKILL);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(trace_file_trim(path), 0);
	char err[512];
	bool truncated = false;
	assert_int_equal(count_records(path, &truncated, err, sizeof(err)), 1001);
	assert_true(truncated);
}

static int
setup_v2(void **state)
{
	version = 2;
	return setup(state);
}

int
main(void)
{
	const struct CMUnitTest any_version[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_cut_at_every_byte),
		cmocka_unit_test(test_foreign_file_is_rejected),
		cmocka_unit_test(test_threads_keep_their_order),
		cmocka_unit_test(test_killed_writer_leaves_usable_trace),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_cut_at_every_byte),
		cmocka_unit_test(test_corrupt_record_names_offset),
		cmocka_unit_test(test_corrupt_length_is_not_truncation),
		cmocka_unit_test(test_bad_or_missing_seal_before_end_is_corrupt),
		cmocka_unit_test(test_invalid_fields_name_the_record),
		cmocka_unit_test(test_foreign_file_is_rejected),
		cmocka_unit_test(test_threads_keep_their_order),
		cmocka_unit_test(test_killed_writer_leaves_usable_trace),
	};
	int failed = cmocka_run_group_tests_name("version 1", tests, setup,
			teardown);
	return failed + cmocka_run_group_tests_name("version 2", any_version,
			setup_v2, teardown);
}
