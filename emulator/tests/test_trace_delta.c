/* test_trace_delta.c -- the data coding of version-2 events (data_ref.c):
 * a delta against the slot's reference of the length's class only when
 * shorter than the bytes, for every length; the classes kept apart; a
 * slot taken by another thread starts without references; a line
 * snapshotted while another thread stores to it; forged deltas named by
 * their offset */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compact.h"
#include "trace.h"
#include "trace_tmpdir.h"
#include "trace_v2_test.h"

/* the file's copy of the last data longer than any class: the reference
 * of the writer's and the reader's (data_ref.c) */
static uint8_t long_copy[2][128];

/* keep -- data become side's reference, as the writer and reader do */
static void
keep(struct trace_data_refs *refs, int side, const uint8_t *data,
		uint64_t len)
{
	if (len > TRACE_V2_REF_MAX) {
		assert_true(len <= sizeof(long_copy[side]));
		memcpy(long_copy[side], data, (size_t)len);
		data = long_copy[side];
	}
	trace_v2_refs_keep(refs, data, len);
}

/* code_and_apply -- data coded against wref, then decoded by a reader
 * whose reference rref is the same: equal; the mode */
static unsigned
code_and_apply(const uint8_t *data, uint64_t len,
		struct trace_data_refs *wref, struct trace_data_refs *rref,
		size_t *coded)
{
	uint8_t delta[TRACE_V2_DELTA_MAX], seen[TRACE_V2_REF_MAX];
	size_t n = (size_t)len;
	unsigned mode = trace_v2_data_code(data, len, wref, delta, &n, seen);
	const uint8_t *got = data;
	if (mode == TRACE_V2_DATA_SAME) {
		n = 0;
		got = trace_v2_refs_same(rref, len);
	} else if (mode == TRACE_V2_DATA_DELTA) {
		const uint8_t *p = delta;
		const char *why = NULL;
		got = trace_v2_delta_apply(rref, len, &p, delta + n, &why);
		if (got == NULL)
			fail_msg("%s", why);
		assert_ptr_equal(p, delta + n);
	} else {
		keep(rref, 1, data, len);
	}
	assert_non_null(got);
	assert_memory_equal(got, data, (size_t)len);
	if (mode != TRACE_V2_DATA_SAME)
		keep(wref, 0, data, len);
	*coded = n;
	return mode;
}

/* every length up to past the longest reference, with 0, 1, some and
 * all bytes changed: the delta when shorter, the bytes otherwise, the
 * same flag when nothing changed */
static void
test_delta_only_when_shorter(void **state)
{
	(void)state;
	static struct trace_data_refs w, r;
	uint8_t data[100];
	for (uint64_t len = 1; len <= sizeof(data); len++) {
		for (size_t changed = 0; changed <= len; changed++) {
			memset(&w, 0, sizeof(w));
			memset(&r, 0, sizeof(r));
			for (size_t i = 0; i < len; i++)
				data[i] = (uint8_t)(i * 7 + 1);
			size_t n;
			code_and_apply(data, len, &w, &r, &n);
			for (size_t i = 0; i < changed; i++)
				data[len - 1 - i] ^= 0x80;
			unsigned mode = code_and_apply(data, len, &w, &r, &n);
			size_t delta = (size_t)(len + 7) / 8 + changed;
			if (changed == 0)
				assert_int_equal(mode, TRACE_V2_DATA_SAME);
			else if (len <= TRACE_V2_REF_MAX && delta < len)
				assert_true(mode == TRACE_V2_DATA_DELTA &&
						n == delta);
			else
				assert_true(mode == TRACE_V2_DATA_BYTES &&
						n == len);
		}
	}
}

/* a 16-byte store, a 64-byte line, the store again changed in one byte:
 * a delta against the store, not the line; a 4-byte store after an
 * 8-byte one: against its first 4 bytes (zeros past a reference) */
static void
test_reference_per_length_class(void **state)
{
	(void)state;
	static struct trace_data_refs w, r;
	memset(&w, 0, sizeof(w));
	memset(&r, 0, sizeof(r));
	uint8_t store[16], line[64], word[8];
	for (int i = 0; i < 16; i++)
		store[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 64; i++)
		line[i] = (uint8_t)(0x10 + i);
	size_t n;
	assert_int_equal(code_and_apply(store, 16, &w, &r, &n),
			TRACE_V2_DATA_BYTES);
	assert_int_equal(code_and_apply(line, 64, &w, &r, &n),
			TRACE_V2_DATA_BYTES);
	store[3] = 0;
	assert_int_equal(code_and_apply(store, 16, &w, &r, &n),
			TRACE_V2_DATA_DELTA);
	assert_int_equal(n, 2 + 1);
	line[63] ^= 1;
	assert_int_equal(code_and_apply(line, 64, &w, &r, &n),
			TRACE_V2_DATA_DELTA);
	assert_int_equal(n, 8 + 1);
	memset(word, 0x33, sizeof(word));
	assert_int_equal(code_and_apply(word, 8, &w, &r, &n),
			TRACE_V2_DATA_BYTES);
	assert_int_equal(code_and_apply(word, 4, &w, &r, &n),
			TRACE_V2_DATA_DELTA);
	assert_int_equal(n, 1); /* the mask alone: the first 4 bytes */
	word[1] = 0; /* against the 4 bytes, zeros past them */
	assert_int_equal(code_and_apply(word, 8, &w, &r, &n),
			TRACE_V2_DATA_DELTA);
	assert_int_equal(n, 1 + 5); /* byte 1, and 4..7 */
	uint8_t big[65];
	memset(big, 1, sizeof(big)); /* longer than any class: no delta */
	assert_int_equal(code_and_apply(big, 65, &w, &r, &n),
			TRACE_V2_DATA_BYTES);
	big[0] = 2;
	assert_int_equal(code_and_apply(big, 65, &w, &r, &n),
			TRACE_V2_DATA_BYTES);
}

/* colliding -- a tid other than tid with the same writer table entry */
static uint32_t
colliding(uint32_t tid)
{
	for (uint32_t t = tid + 1;; t++)
		if ((t * 2654435761u) >> 24 == (tid * 2654435761u) >> 24)
			return t;
}

/* the events read back, with their data and record lengths */
struct events {
	struct model_event ev[8];
	uint8_t data[8][64];
	uint64_t len[8];
	size_t n;
};

static void
event_seen(void *ctx, const struct trace_rec *rec, uint64_t len)
{
	struct events *e = ctx;
	assert_true(e->n < 8 && rec->ev.len <= 64);
	e->ev[e->n] = rec->ev;
	if (rec->ev.data)
		memcpy(e->data[e->n], rec->ev.data, (size_t)rec->ev.len);
	e->len[e->n++] = len;
}

/* a thread's line snapshots: each a delta against the one before; a
 * thread that ends and another that takes its entry in the writer's
 * table: a new slot, whose first line is its bytes again, not a delta
 * against the other thread's */
static void
test_deltas_in_a_file_and_slot_reuse(void **state)
{
	(void)state;
	const char *path = tmp_path("delta.trace");
	struct trace_writer *w = open_writer(path);
	uint32_t a = 100, b = colliding(a);
	uint8_t line[64];
	for (int i = 0; i < 64; i++)
		line[i] = (uint8_t)i;
	struct model_event ev = { MODEL_EV_SNAPSHOT, a, 1, 0, 0, 64, line };
	for (int k = 0; k < 3; k++) {
		line[k] ^= 0x40; /* one byte changes each time */
		ev.off = 64u * (unsigned)k;
		assert_int_equal(trace_append_event(w, &ev), 0);
	}
	ev.tid = b; /* a ended; b has its entry */
	line[5] ^= 0x40;
	assert_int_equal(trace_append_event(w, &ev), 0);
	line[6] ^= 0x40;
	assert_int_equal(trace_append_event(w, &ev), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	static struct events got;
	got.n = 0;
	each_event(path, event_seen, &got);
	assert_int_equal(got.n, 5);
	for (int i = 0; i < 64; i++)
		line[i] = (uint8_t)i;
	static const int flip[5] = { 0, 1, 2, 5, 6 };
	static const bool delta[5] = { false, true, true, false, true };
	for (int k = 0; k < 5; k++) {
		line[flip[k]] ^= 0x40;
		assert_memory_equal(got.data[k], line, 64);
		assert_int_equal(got.ev[k].tid, k < 3 ? a : b);
		/* 8 bytes of fields, a 64-byte line or 8 + 1 of delta */
		assert_true(delta[k] ? got.len[k] <= 20 : got.len[k] >= 72);
	}
}

/* sample -- a 16-byte store then the same changed in its first byte (a
 * delta: 2 mask bytes and 1); the second record's offset */
static uint64_t
sample(const char *path)
{
	struct trace_writer *w = open_writer(path);
	uint8_t v[16];
	memset(v, 9, sizeof(v));
	struct model_event ev = { MODEL_EV_STORE, 3, 1, 0, 64, 16, v };
	assert_int_equal(trace_append_event(w, &ev), 0);
	v[0] = 1;
	assert_int_equal(trace_append_event(w, &ev), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	struct trace_reader *r;
	char err[512];
	assert_int_equal(trace_reader_open(path, &r, err, sizeof(err)), 0);
	struct trace_rec rec;
	for (int i = 0; i < 3; i++)
		assert_int_equal(trace_next(r, &rec), 1);
	assert_int_equal(rec.ev.data[0], 1);
	uint64_t len = trace_reader_good_end(r) - rec.file_off;
	trace_reader_close(r);
	assert_int_equal(len, 12); /* seal, kind, flags, blen, slot, 3 */
	return rec.file_off;
}

/* a line another thread stores to while its snapshots are appended:
 * eight counters, each store one aligned word */
#define LIVE_TOP 3000000u
static volatile uint64_t live[8];
static volatile int live_done;

static void *
count_up(void *p)
{
	(void)p;
	for (uint64_t v = 1; v <= LIVE_TOP; v++)
		for (int i = 0; i < 8; i++)
			live[i] = v;
	live_done = 1;
	return NULL;
}

/* counters_seen -- a snapshot's counters: none lower than before */
static void
counters_seen(void *ctx, const struct trace_rec *rec, uint64_t len)
{
	uint64_t *last = ctx, now[8]; /* last[8]: the snapshots seen */
	(void)len;
	memcpy(now, rec->ev.data, sizeof(now));
	for (int i = 0; i < 8; i++)
		if (now[i] < last[i] || now[i] > LIVE_TOP)
			fail_msg("snapshot %llu word %d: %llu after %llu",
				(unsigned long long)last[8], i,
				(unsigned long long)now[i],
				(unsigned long long)last[i]);
	memcpy(last, now, sizeof(now));
	last[8]++;
}

/* the snapshots of a line whose words change under the writer's scan
 * (as the shim's of a line in a mapping): each decoded word is one its
 * word held, so never lower than in an earlier snapshot, and the last
 * (taken after the stores) is the line; a writer that took the caller's
 * bytes again as its reference after coding a delta from an earlier
 * read of them would leave the reader another reference */
static void
test_snapshots_of_a_line_being_stored_to(void **state)
{
	(void)state;
	const char *path = tmp_path("live.trace");
	struct trace_writer *w = open_writer(path);
	memset((void *)live, 0, sizeof(live));
	live_done = 0;
	pthread_t th;
	pthread_create(&th, NULL, count_up, NULL);
	struct model_event ev = { MODEL_EV_SNAPSHOT, 5, 1, 0, 0, 64,
		(const uint8_t *)live };
	uint32_t n = 0;
	while (!live_done) {
		assert_int_equal(trace_append_event(w, &ev), 0);
		n++;
	}
	pthread_join(th, NULL);
	assert_int_equal(trace_append_event(w, &ev), 0);
	assert_int_equal(trace_writer_close(w, 0), 0);
	uint64_t last[9] = { 0 };
	each_event(path, counters_seen, last);
	assert_true(last[8] == n + 1);
	for (int i = 0; i < 8; i++)
		assert_true(last[i] == LIVE_TOP);
}

/* forged deltas: a mask bit past the data, more bytes marked than the
 * record holds, a delta of a length no class has, a delta in slot 0 */
static void
test_forged_deltas(void **state)
{
	(void)state;
	const char *path = tmp_path("forged.trace");
	uint64_t off = sample(path); /* seal, kind, flags, blen 4, slot */
	uint8_t mask[2] = { 0x01, 0x01 }; /* two bits, one byte */
	patch(path, off + 8, mask, 2, off, true);
	expect_error(path, off, "data past the record");
	off = sample(path);
	uint8_t kind_len[2] = { MODEL_EV_STORE | TRACE_V2_KIND_LEN, 0 };
	patch(path, off + 4, kind_len, 1, off, true);
	uint8_t body[6] = { 5, 1, 12, 0x00, 0x10, 1 }; /* len 12, bit 12 */
	patch(path, off + 6, body, 6, off, true);
	expect_error(path, off, "a delta mask past the data");
	off = sample(path);
	uint8_t slot0[6] = { 5, 0, 3, 0x01, 0x00, 1 }; /* slot 0, tid 3 */
	patch(path, off + 6, slot0, 6, off, true);
	expect_error(path, off, "same or delta data in slot 0");
	off = sample(path);
	patch(path, off + 4, kind_len, 1, off, true);
	uint8_t big[6] = { 5, 1, 65, 0x01, 0x00, 1 }; /* len 65 */
	patch(path, off + 6, big, 6, off, true);
	expect_error(path, off, "a delta of more than 64 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_only_when_shorter),
		cmocka_unit_test(test_reference_per_length_class),
		cmocka_unit_test(test_deltas_in_a_file_and_slot_reuse),
		cmocka_unit_test(test_snapshots_of_a_line_being_stored_to),
		cmocka_unit_test(test_forged_deltas),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
