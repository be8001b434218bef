/*
 * writer_v2.c -- appending version-2 records (docs/trace-format.md,
 * "Version 2"): one compact record per version-1 record, reserved with
 * one atomic add as version 1 does, so the interleaving of threads and
 * processes is the same; an event is encoded against its thread's slot
 * (the site, region and length it repeats, the offset as a delta, its
 * data against the slot's last of their length: data_ref.c), so an
 * event of a store-flush-fence loop takes 8 bytes besides its data.
 *
 * A slot is a process's: a forked child starts a new generation and takes
 * new slots, as does a thread whose table entry another tid took. An
 * append that cannot have its slot (another thread or a signal handler of
 * the same thread is using it) writes a record without one (slot 0),
 * which every field is in: never a delta the reader could apply to the
 * wrong state.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "writer_priv.h"

static uint32_t fork_gen = 1;   /* 0 is no entry's */
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void
forked_child(void)
{
	fork_gen++;
}

static void
register_fork(void)
{
	(void)pthread_atfork(NULL, NULL, forked_child);
}

void
trace_writer_slots_init(void)
{
	(void)pthread_once(&slots_once, register_fork);
}

/* head_of -- kind, flags, varint blen, then the fields: its length */
static size_t
head_of(uint8_t *head, uint8_t kind, uint8_t flags, size_t blen,
		const uint8_t *fields, size_t flen)
{
	head[0] = kind;
	head[1] = flags;
	size_t n = 2 + trace_varint_put(head + 2, blen);
	memcpy(head + n, fields, flen);
	return n + flen;
}

/*
 * put -- one record: head (kind, flags, length, fields) then b1 and b2,
 * zero padding, the seal over all of it stored last; the head goes first
 * so that a process joining the trace can step over a record whose
 * writer was killed before its seal, as over a version-1 record
 * (scan.c). Where b1 landed, or NULL (*err set)
 */
static uint8_t *
put(struct trace_writer *w, const uint8_t *head, size_t hlen,
		const void *b1, size_t l1, const void *b2, size_t l2, int *err)
{
	size_t total = (4 + hlen + l1 + l2 + 3) & ~(size_t)3;
	uint8_t *rec = trace_reserve(w, total, err);
	if (rec == NULL)
		return NULL;
	memcpy(rec + 4, head, hlen);
	uint8_t *p = rec + 4 + hlen;
	if (l1)
		memcpy(p, b1, l1);
	if (l2)
		memcpy(p + l1, b2, l2);
	memset(p + l1 + l2, 0, total - 4 - hlen - l1 - l2);
	uint32_t seal = trace_v2_seal(rec + 4, total - 4);
	__atomic_store_n((uint32_t *)rec, seal, __ATOMIC_RELEASE);
	return p;
}

int
trace_append_v2(struct trace_writer *w, uint16_t type, uint32_t tid,
		uint32_t site, const void *b1, size_t l1, const void *b2,
		size_t l2)
{
	uint8_t fields[10], head[TRACE_V2_HEAD_MAX];
	uint8_t flags = b2 && l2 ? 1 : 0;
	if (type == TRACE_REC_BASE && l2 && l2 <= TRACE_BASE_PAGE &&
			memcmp(b2, trace_zero_page, l2) == 0) {
		flags |= TRACE_V2_META_ZERO; /* a page of zeros: a flag */
		l2 = 0;
	}
	size_t flen = trace_varint_put(fields, tid);
	flen += trace_varint_put(fields + flen, site);
	size_t blen = flen + l1 + l2;
	size_t hlen = head_of(head, (uint8_t)type, flags, blen, fields, flen);
	int err;
	return put(w, head, hlen, b1, l1, b2, l2, &err) ? 0 : err;
}

/* entry_of -- tid's entry, taken (busy), or NULL: in use */
static struct trace_slot_entry *
entry_of(struct trace_writer *w, uint32_t tid, uint32_t token)
{
	struct trace_slot_entry *e = &w->slots[(tid * 2654435761u) >> 24];
	uint32_t cur = __atomic_load_n(&e->busy, __ATOMIC_RELAXED);
	if (cur == token || !__atomic_compare_exchange_n(&e->busy, &cur,
			token, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return NULL;
	return e;
}

/* new_slot -- the next slot of the trace, or 0: none left */
static uint32_t
new_slot(struct trace_writer *w)
{
	if (__atomic_load_n(&w->hdr->slots, __ATOMIC_RELAXED) >=
			TRACE_V2_SLOTS_MAX - 1)
		return 0;
	uint32_t s = __atomic_add_fetch(&w->hdr->slots, 1, __ATOMIC_RELAXED);
	return s < TRACE_V2_SLOTS_MAX ? s : 0;
}

/* write_event -- e against st and refs (slot 0: a zero st, refs NULL);
 * st and refs updated when 0 */
static int
write_event(struct trace_writer *w, struct trace_v2_event *e, bool declare,
		struct trace_slot_state *st, struct trace_data_refs *refs)
{
	uint8_t fields[TRACE_V2_FIELDS_MAX], head[TRACE_V2_HEAD_MAX];
	uint8_t delta[TRACE_V2_DELTA_MAX], seen[TRACE_V2_REF_MAX];
	const uint8_t *data = e->ev.data;
	uint64_t len = e->ev.len;
	if (data != NULL && len > UINT32_MAX)
		return -E2BIG;
	size_t dlen = data != NULL ? (size_t)len : 0;
	unsigned mode = data == NULL ? TRACE_V2_DATA_NONE : refs == NULL ?
		TRACE_V2_DATA_BYTES : trace_v2_data_code(data, len, refs, delta,
		&dlen, seen);
	if (mode == TRACE_V2_DATA_SAME)
		dlen = 0;
	size_t flen = trace_v2_encode(e, declare, mode, st, fields);
	size_t hlen = head_of(head, e->kind, e->flags, flen + dlen, fields,
			flen);
	int err;
	uint8_t *at = put(w, head, hlen, mode == TRACE_V2_DATA_DELTA ? delta :
			data, dlen, NULL, 0, &err);
	if (at == NULL)
		return err;
	/* the reference the reader will have: the bytes written, or those
	 * the delta was made from; never data read again, which may have
	 * changed since (a snapshot of a line other threads store to) */
	if (refs != NULL && mode == TRACE_V2_DATA_BYTES)
		trace_v2_refs_keep(refs, at, len);
	else if (refs != NULL && mode == TRACE_V2_DATA_DELTA)
		trace_v2_refs_keep(refs, seen, len);
	return 0;
}

int
trace_append_event_v2(struct trace_writer *w, const struct model_event *ev)
{
	struct trace_v2_event e = { .tid = ev->tid, .ev = *ev };
	uint32_t gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	struct trace_slot_entry *en = entry_of(w, ev->tid, gen);
	struct trace_slot_state st;
	if (en == NULL) {
		e.slot = 0;
		return write_event(w, &e, false, &st, NULL);
	}
	bool declare = en->gen != gen || en->tid != ev->tid || en->slot == 0;
	e.slot = declare ? new_slot(w) : en->slot;
	if (declare)
		memset(&en->refs, 0, sizeof(en->refs));
	st = en->st;
	int err = write_event(w, &e, declare && e.slot != 0, &st,
			e.slot != 0 ? &en->refs : NULL);
	if (err == 0 && e.slot != 0) {
		en->gen = gen;
		en->tid = ev->tid;
		en->slot = e.slot;
		en->st = st;
	} else if (declare) {
		en->gen = 0; /* not declared: the next event declares again */
	}
	__atomic_store_n(&en->busy, 0, __ATOMIC_RELEASE);
	return err;
}
