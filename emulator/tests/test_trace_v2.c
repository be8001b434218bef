/* test_trace_v2.c -- version-2 records: the varints and the slot codec at
 * their limits, threads, signal handlers and forked children sharing one
 * trace (each record decodes to the event it was written from), corrupt
 * and forged records named by their offset */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "compact.h"
#include "trace.h"
#include "trace_tmpdir.h"
#include "trace_v2_test.h"


static void
test_varint_limits(void **state)
{
	(void)state;
	uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, UINT32_MAX,
		1ull << 63, UINT64_MAX };
	uint8_t b[16];
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n = trace_varint_put(b, vals[i]);
		assert_int_equal(n, trace_varint_len(vals[i]));
		uint64_t v = 0;
		assert_int_equal(trace_varint_get(b, b + n, &v), n);
		assert_true(v == vals[i]);
		/* cut short: not a varint */
		assert_int_equal(trace_varint_get(b, b + n - 1, &v), 0);
	}
	assert_int_equal(trace_varint_put(b, UINT64_MAX), 10);
	b[9] = 0x02; /* a 65th bit */
	uint64_t v;
	assert_int_equal(trace_varint_get(b, b + 10, &v), 0);
	memset(b, 0x80, sizeof(b)); /* never ends */
	assert_int_equal(trace_varint_get(b, b + sizeof(b), &v), 0);
}

/* roundtrip -- evs encoded by a writer's slots, decoded by a reader's:
 * equal, each thread with its own slot (slot = tid), deltas across them */
static void
roundtrip(const struct model_event *evs, size_t n)
{
	struct trace_slot_state wst[4] = { { 0 } }, rst[4] = { { 0 } };
	static struct trace_data_refs wrefs[4], rrefs[4];
	memset(wrefs, 0, sizeof(wrefs));
	bool declared[4] = { false };
	for (size_t i = 0; i < n; i++) {
		const struct model_event *ev = &evs[i];
		struct trace_v2_event e = { .slot = ev->tid, .tid = ev->tid,
			.ev = *ev };
		uint8_t rec[TRACE_V2_FIELDS_MAX + TRACE_V2_DELTA_MAX + 64];
		uint8_t delta[TRACE_V2_DELTA_MAX], seen[TRACE_V2_REF_MAX];
		size_t dlen = ev->data ? ev->len : 0;
		unsigned mode = ev->data == NULL ? TRACE_V2_DATA_NONE :
			trace_v2_data_code(ev->data, ev->len, &wrefs[ev->tid],
			delta, &dlen, seen);
		if (mode == TRACE_V2_DATA_SAME)
			dlen = 0;
		size_t flen = trace_v2_encode(&e, !declared[ev->tid], mode,
				&wst[ev->tid], rec);
		assert_true(flen <= TRACE_V2_FIELDS_MAX);
		memcpy(rec + flen, mode == TRACE_V2_DATA_DELTA ? delta :
				ev->data, dlen);
		if (dlen)
			trace_v2_refs_keep(&wrefs[ev->tid], ev->data, ev->len);
		struct trace_v2_event d = { .kind = e.kind, .flags = e.flags };
		const char *why = NULL;
		size_t m = trace_v2_slot_of(&d, rec, rec + flen + dlen, &why);
		assert_int_not_equal(m, 0);
		assert_int_equal(d.slot, ev->tid);
		if (d.flags & TRACE_V2_F_NEW) {
			memset(&rst[d.slot], 0, sizeof(rst[d.slot]));
			memset(&rrefs[d.slot], 0, sizeof(rrefs[d.slot]));
			declared[ev->tid] = true;
		} else {
			d.tid = ev->tid; /* the reader's slot knows it */
		}
		const uint8_t *end = trace_v2_decode(&d, rec + m, rec + flen +
				dlen, &rst[d.slot], &rrefs[d.slot], &why);
		if (end == NULL)
			fail_msg("event %zu: %s", i, why);
		assert_ptr_equal(end, rec + flen + dlen);
		assert_int_equal(d.ev.kind, ev->kind);
		assert_int_equal(d.ev.tid, ev->tid);
		assert_int_equal(d.ev.site, ev->site);
		assert_int_equal(d.ev.region, ev->region);
		assert_true(d.ev.off == ev->off);
		assert_true(d.ev.len == ev->len);
		assert_int_equal(d.ev.data != NULL, ev->data != NULL);
		if (ev->data)
			assert_memory_equal(d.ev.data, ev->data, ev->len);
	}
}

static void
test_codec_deltas_across_threads_and_limits(void **state)
{
	(void)state;
	static const uint8_t v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint64_t top = UINT64_MAX;
	const struct model_event evs[] = {
		{ MODEL_EV_STORE, 1, 5, 0, 0, 8, v },
		{ MODEL_EV_STORE, 2, 5, 3, 4096, 8, v },
		{ MODEL_EV_STORE, 1, 5, 0, 8, 8, v },       /* same data */
		{ MODEL_EV_CLWB, 1, 6, 0, 0, 64, NULL },    /* back: -16 */
		{ MODEL_EV_SFENCE, 2, 6, MODEL_REGION_ALL, 0, 0, NULL },
		{ MODEL_EV_STORE, 2, 7, 3, 4104, 8, NULL }, /* region kept */
		{ MODEL_EV_SNAPSHOT, 2, 7, 3, 4104, 8, v },  /* same offset */
		{ MODEL_EV_CLWB, 2, 6, 3, 4104, 64, NULL },  /* the site before */
		{ MODEL_EV_STORE, 2, 7, 3, 4168, 8, NULL },  /* and back */
		{ MODEL_EV_STORE, 3, UINT32_MAX, UINT32_MAX - 1, top - 7, 8,
			NULL },                             /* the maxima */
		{ MODEL_EV_STORE, 3, 0, 0, 0, 8, NULL },    /* wraps around */
		{ MODEL_EV_MSYNC, 3, 0, 0, top, top, NULL },
		{ MODEL_EV_STORE, 3, 1, 2, 1ull << 63, 1, NULL },
		{ MODEL_EV_SHUTDOWN, 1, 0, MODEL_REGION_ALL, 0, 0, NULL },
		{ MODEL_EV_CLWB, 1, 6, 0, 64, 64, NULL },   /* next after it */
		{ MODEL_EV_STORE, 1, 5, 0, 128, 8, v },     /* same data */
		{ MODEL_EV_STORE, 1, 5, 0, 136, 4, v },     /* other length */
	};
	roundtrip(evs, sizeof(evs) / sizeof(evs[0]));
}

/*
 * The self-checking events of writer k: its i-th event has site k, an
 * offset and length of (k, i) and, every 4th, 8 data bytes that repeat
 * the previous ones every other time, else differ from them in their
 * first byte (a delta): the reader can tell each one.
 */
#define WRITERS 4
#define EVENTS 20000

static struct model_event
event_of(uint32_t tid, uint32_t k, uint32_t i, uint8_t *data)
{
	uint64_t off = ((uint64_t)k << 24) + (uint64_t)i * 8 % (1u << 20);
	struct model_event ev = { MODEL_EV_STORE, tid, k, 0, off,
		8 + 8 * (i % 3), NULL };
	if (i % 5 == 4) {
		ev = (struct model_event){ MODEL_EV_SFENCE, tid, k,
			MODEL_REGION_ALL, 0, 0, NULL };
	} else if (i % 4 == 0) {
		memset(data, (int)k + 1, 8);
		data[0] = (uint8_t)(i / 8);
		ev.len = 8;
		ev.data = data;
	}
	return ev;
}

/* the next event of each writer expected, of how many */
struct expected {
	uint32_t next[16];
	uint32_t writers;
};

static void
expected_seen(void *ctx, const struct trace_rec *rec, uint64_t len)
{
	struct expected *x = ctx;
	(void)len;
	uint32_t k = rec->site;
	assert_true(k < x->writers);
	uint8_t data[8];
	struct model_event want = event_of(rec->tid, k, x->next[k]++, data);
	assert_int_equal(rec->ev.kind, want.kind);
	assert_int_equal(rec->ev.region, want.region);
	assert_true(rec->ev.off == want.off && rec->ev.len == want.len);
	assert_int_equal(rec->ev.data != NULL, want.data != NULL);
	if (want.data)
		assert_memory_equal(rec->ev.data, want.data, 8);
}

/* expect_all -- every writer's events, each in order, nothing else */
static void
expect_all(const char *path, uint32_t writers, uint32_t events)
{
	struct expected x = { .writers = writers };
	each_event(path, expected_seen, &x);
	for (uint32_t k = 0; k < writers; k++)
		assert_int_equal(x.next[k], events);
}

struct thread_arg {
	struct trace_writer *w;
	uint32_t k;
	uint32_t tid;
};

static void *
same_tid_thread(void *p)
{
	struct thread_arg *a = p;
	for (uint32_t i = 0; i < EVENTS; i++) {
		uint8_t data[8];
		struct model_event ev = event_of(a->tid, a->k, i, data);
		assert_int_equal(trace_append_event(a->w, &ev), 0);
	}
	return NULL;
}

/* threads appending with one tid at once: one has the slot, the others
 * write records without one (slot 0), and all decode */
static void
test_threads_sharing_a_tid(void **state)
{
	(void)state;
	const char *path = tmp_path("tid.trace");
	struct trace_writer *w = open_writer(path);
	pthread_t th[WRITERS];
	struct thread_arg a[WRITERS];
	for (uint32_t k = 0; k < WRITERS; k++) {
		a[k] = (struct thread_arg){ w, k, 7 };
		pthread_create(&th[k], NULL, same_tid_thread, &a[k]);
	}
	for (int k = 0; k < WRITERS; k++)
		pthread_join(th[k], NULL);
	assert_int_equal(trace_writer_close(w, 0), 0);
	expect_all(path, WRITERS, EVENTS);
}

static struct trace_writer *handler_w;
static volatile uint32_t handler_i;

/* in a handler, the thread's append it interrupted may hold the slot */
static void
on_alarm(int sig)
{
	(void)sig;
	if (handler_i >= EVENTS)
		return;
	uint8_t data[8];
	struct model_event ev = event_of(7, 1, handler_i, data);
	if (trace_append_event(handler_w, &ev) == 0)
		handler_i++;
}

static void
test_signal_handler_appends(void **state)
{
	(void)state;
	const char *path = tmp_path("sig.trace");
	handler_w = open_writer(path);
	handler_i = 0;
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	setitimer(ITIMER_REAL, &it, NULL);
	uint32_t i = 0;
	for (; i < EVENTS || handler_i < EVENTS; i++) {
		uint8_t data[8];
		struct model_event ev = event_of(7, 0, i, data);
		if (i < EVENTS)
			assert_int_equal(trace_append_event(handler_w, &ev), 0);
		else
			usleep(100);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	assert_int_equal(trace_writer_close(handler_w, 0), 0);
	expect_all(path, 2, EVENTS);
}

/* forked children inherit the parent's slots: they take their own */
static void
test_forked_children_append_at_once(void **state)
{
	(void)state;
	const char *path = tmp_path("fork.trace");
	struct trace_writer *w = open_writer(path);
	uint8_t data[8];
	struct model_event ev = event_of(9, 0, 0, data);
	assert_int_equal(trace_append_event(w, &ev), 0);
	pid_t kids[WRITERS - 1];
	for (uint32_t k = 1; k < WRITERS; k++) {
		if ((kids[k - 1] = fork()) == 0) {
			for (uint32_t i = 0; i < EVENTS; i++) {
				ev = event_of(9, k, i, data); /* the same tid */
				if (trace_append_event(w, &ev) != 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (uint32_t i = 1; i < EVENTS; i++) {
		ev = event_of(9, 0, i, data);
		assert_int_equal(trace_append_event(w, &ev), 0);
	}
	for (uint32_t k = 1; k < WRITERS; k++) {
		int status;
		waitpid(kids[k - 1], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(trace_writer_close(w, 0), 0);
	expect_all(path, WRITERS, EVENTS);
}

/* a repeated data block is a flag, not the bytes again */
static void
test_same_data_is_not_written_again(void **state)
{
	(void)state;
	const char *path = tmp_path("same.trace");
	struct trace_writer *w = open_writer(path);
	uint8_t line[64];
	memset(line, 0xab, sizeof(line));
	struct model_event snap = { MODEL_EV_SNAPSHOT, 3, 1, 0, 64, 64, line };
	assert_int_equal(trace_append_event(w, &snap), 0);
	assert_int_equal(trace_append_event(w, &snap), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(trace_next(r, &rec[i]), 1);
	uint64_t second = trace_reader_good_end(r) - rec[2].file_off;
	assert_true(second <= 12);
	assert_memory_equal(rec[1].ev.data, line, 64);
	assert_memory_equal(rec[2].ev.data, line, 64);
	assert_int_equal(rec[2].flags, 1);
	assert_true(rec[2].ev.off == 64 && rec[2].ev.len == 64);
	trace_reader_close(r);
}

/* a BASE record of a page of zeros is a flag; the reader gives zeros */
static void
test_base_page_of_zeros_is_a_flag(void **state)
{
	(void)state;
	const char *path = tmp_path("base.trace");
	struct trace_writer *w = open_writer(path);
	static uint8_t page[TRACE_BASE_PAGE];
	uint64_t body[3] = { 0, 4096, TRACE_BASE_PAGE }; /* region 0 */
	assert_int_equal(trace_append(w, TRACE_REC_BASE, 3, 0, body,
			sizeof(body), page, sizeof(page)), 0);
	page[100] = 7;
	body[1] = 8192;
	assert_int_equal(trace_append(w, TRACE_REC_BASE, 3, 0, body,
			sizeof(body), page, sizeof(page)), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec[3];
	uint64_t ends[3];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(trace_next(r, &rec[i]), 1);
		ends[i] = trace_reader_good_end(r);
	}
	assert_true(ends[1] - rec[1].file_off <= 36);
	assert_true(ends[2] - rec[2].file_off > TRACE_BASE_PAGE);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(rec[i].type, TRACE_REC_BASE);
		assert_int_equal(rec[i].flags, 1);
		assert_true(rec[i].u.base.off == 4096u * (unsigned)(i));
		assert_true(rec[i].u.base.len == TRACE_BASE_PAGE);
	}
	assert_memory_equal(rec[2].u.base.data, page, TRACE_BASE_PAGE);
	page[100] = 0;
	assert_memory_equal(rec[1].u.base.data, page, TRACE_BASE_PAGE);
	trace_reader_close(r);
}

/* sample -- a trace of 2 events of one thread; the second's offset */
static uint64_t
sample(const char *path)
{
	struct trace_writer *w = open_writer(path);
	struct model_event a = { MODEL_EV_STORE, 3, 1, 0, 64, 8, NULL };
	struct model_event b = { MODEL_EV_CLWB, 3, 1, 0, 64, 64, NULL };
	assert_int_equal(trace_append_event(w, &a), 0);
	assert_int_equal(trace_append_event(w, &b), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec;
	for (int i = 0; i < 3; i++)
		assert_int_equal(trace_next(r, &rec), 1);
	trace_reader_close(r);
	return rec.file_off;
}

static void
process_seen(void *ctx, const struct trace_scan_rec *sr)
{
	if (sr->sealed && sr->type == TRACE_REC_PROCESS)
		(*(int *)ctx)++;
}

/* a process that joins after exec (scan.c) steps over a record whose
 * writer was killed after its head and before its seal, and reads the
 * PROCESS record after it, as it does in a version-1 trace */
static void
test_join_steps_over_a_killed_record(void **state)
{
	(void)state;
	const char *path = tmp_path("killed.trace");
	struct trace_writer *w = open_writer(path);
	assert_int_equal(trace_append(w, TRACE_REC_NOTE, 3, 0, "killed", 7,
			NULL, 0), 0);
	uint32_t proc[2] = { 4242, 1 };
	assert_int_equal(trace_append(w, TRACE_REC_PROCESS, 3, 0, proc,
			sizeof(proc), NULL, 0), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	uint32_t zero = 0; /* the note's writer killed before its seal */
	patch(path, TRACE_HEADER_LEN, &zero, 4, TRACE_HEADER_LEN, false);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > TRACE_HEADER_LEN && n < sizeof(buf));
	int seen = 0;
	trace_scan_meta(buf, n, 2, process_seen, &seen);
	assert_int_equal(seen, 1);
}

static void
test_corrupt_and_forged_records(void **state)
{
	(void)state;
	const char *path = tmp_path("bad.trace");
	uint64_t off = sample(path);
	uint8_t x = 0x55;
	patch(path, off + 7, &x, 1, off, false);
	expect_error(path, off, "checksum mismatch");
	off = sample(path);
	uint32_t zero = 0; /* never sealed, yet the program ended */
	patch(path, off, &zero, 4, off, false);
	expect_error(path, off, "never sealed");
	off = sample(path);
	uint8_t slot = 2; /* a slot no record declared */
	patch(path, off + 7, &slot, 1, off, true);
	expect_error(path, off, "slot never declared");
	off = sample(path);
	uint8_t flags = 0xc0; /* data mode 3: a delta its record lacks */
	patch(path, off + 5, &flags, 1, off, true);
	expect_error(path, off, "data past the record");
	off = sample(path);
	uint8_t kind = 0x10; /* model event 0, with a length */
	patch(path, off + 4, &kind, 1, off, true);
	expect_error(path, off, "unknown record type 16");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_limits),
		cmocka_unit_test(test_codec_deltas_across_threads_and_limits),
		cmocka_unit_test(test_threads_sharing_a_tid),
		cmocka_unit_test(test_signal_handler_appends),
		cmocka_unit_test(test_forked_children_append_at_once),
		cmocka_unit_test(test_same_data_is_not_written_again),
		cmocka_unit_test(test_base_page_of_zeros_is_a_flag),
		cmocka_unit_test(test_corrupt_and_forged_records),
		cmocka_unit_test(test_join_steps_over_a_killed_record),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
