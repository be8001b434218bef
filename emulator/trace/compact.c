/*
 * compact.c -- an event's version-2 fields, encoded against the state of
 * its thread's slot (docs/trace-format.md, "Version 2"): the writer and
 * the reader run the same state updates, so one record decodes to the
 * event the version-1 record of it held
 */
#include <string.h>

#include "compact.h"

const uint8_t trace_zero_page[TRACE_BASE_PAGE];

size_t
trace_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

size_t
trace_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (size_t n = 0; n < 10 && p + n < end; n++) {
		uint64_t b = p[n] & 0x7f;
		if (n == 9 && b > 1)
			return 0; /* past 64 bits */
		r |= b << (7 * n);
		if (!(p[n] & 0x80)) {
			*v = r;
			return n + 1;
		}
	}
	return 0;
}

size_t
trace_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint64_t
zigzag(uint64_t d)
{
	return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

static uint64_t
unzigzag(uint64_t z)
{
	return (z >> 1) ^ (uint64_t)-(int64_t)(z & 1);
}

/* after_range -- the slot's range becomes ev's, unless the offset was
 * the zero mode (a fence: no range) */
static void
after_range(struct trace_slot_state *st, unsigned off_mode,
		const struct model_event *ev)
{
	if (off_mode != TRACE_V2_OFF_ZERO) {
		st->off = ev->off;
		st->next = ev->off + ev->len;
	}
}

/* new_site -- site becomes the slot's, the one before it its previous */
static void
new_site(struct trace_slot_state *st, uint32_t site)
{
	st->site_prev = st->site;
	st->site = site;
}

/* encode_site -- the slot's site, its previous one (swapped) or a new
 * one: the kind bit or flag, the varint written at out; its length */
static size_t
encode_site(struct trace_v2_event *e, struct trace_slot_state *st,
		unsigned *flags, uint8_t *out)
{
	uint32_t site = e->ev.site;
	if (site == st->site)
		return 0;
	bool prev = site == st->site_prev;
	new_site(st, site);
	if (prev) {
		e->kind |= TRACE_V2_KIND_SITE_PREV;
		return 0;
	}
	*flags |= TRACE_V2_F_SITE;
	return trace_varint_put(out, site);
}

size_t
trace_v2_encode(struct trace_v2_event *e, bool declare, unsigned data_mode,
		struct trace_slot_state *st, uint8_t *out)
{
	const struct model_event *ev = &e->ev;
	if (declare || e->slot == 0)
		memset(st, 0, sizeof(*st));
	size_t n = trace_varint_put(out, e->slot);
	unsigned flags = declare ? TRACE_V2_F_NEW : 0;
	if (declare || e->slot == 0)
		n += trace_varint_put(out + n, e->tid);
	e->kind = (uint8_t)ev->kind;
	n += encode_site(e, st, &flags, out + n);
	unsigned region = TRACE_V2_REGION_SAME;
	if (ev->region == MODEL_REGION_ALL) {
		region = TRACE_V2_REGION_ALL;
	} else if (ev->region != st->region) {
		region = TRACE_V2_REGION_VALUE;
		n += trace_varint_put(out + n, ev->region);
		st->region = ev->region;
	}
	unsigned off = TRACE_V2_OFF_NEXT;
	if (ev->off == st->next)
		; /* the slot's next */
	else if (ev->off == st->off)
		off = TRACE_V2_OFF_SAME;
	else if (ev->off == 0)
		off = TRACE_V2_OFF_ZERO;
	else {
		off = TRACE_V2_OFF_DELTA;
		n += trace_varint_put(out + n, zigzag(ev->off - st->next));
	}
	if (ev->len != st->len[ev->kind]) {
		e->kind |= TRACE_V2_KIND_LEN;
		n += trace_varint_put(out + n, ev->len);
		st->len[ev->kind] = ev->len;
	}
	after_range(st, off, ev);
	e->flags = (uint8_t)(flags | region << TRACE_V2_REGION_SHIFT |
		off << TRACE_V2_OFF_SHIFT | data_mode << TRACE_V2_DATA_SHIFT);
	return n;
}

size_t
trace_v2_slot_of(struct trace_v2_event *e, const uint8_t *p,
		const uint8_t *end, const char **why)
{
	uint64_t v;
	size_t n = trace_varint_get(p, end, &v);
	if (n == 0 || v >= TRACE_V2_SLOTS_MAX) {
		*why = "bad slot";
		return 0;
	}
	e->slot = (uint32_t)v;
	e->tid = 0;
	if ((e->flags & TRACE_V2_F_NEW) && e->slot == 0) {
		*why = "slot 0 declared";
		return 0;
	}
	if ((e->flags & TRACE_V2_F_NEW) || e->slot == 0) {
		size_t m = trace_varint_get(p + n, end, &v);
		if (m == 0 || v > UINT32_MAX) {
			*why = "bad thread id";
			return 0;
		}
		e->tid = (uint32_t)v;
		n += m;
	}
	return n;
}

/* get32 -- a varint of at most 32 bits, or false */
static bool
get32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	uint64_t w;
	size_t n = trace_varint_get(*p, end, &w);
	if (n == 0 || w > UINT32_MAX)
		return false;
	*v = (uint32_t)w;
	*p += n;
	return true;
}

/* get64 -- a varint, or false */
static bool
get64(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	size_t n = trace_varint_get(*p, end, v);
	*p += n;
	return n != 0;
}

/* decode_data -- the data bytes of e: in the record at *p, the slot's
 * reference of their length, or a delta against it (refs NULL: slot 0,
 * which has none) */
static bool
decode_data(struct trace_v2_event *e, const uint8_t **p, const uint8_t *end,
		struct trace_data_refs *refs, const char **why)
{
	struct model_event *ev = &e->ev;
	unsigned mode = e->flags >> TRACE_V2_DATA_SHIFT;
	if (mode == TRACE_V2_DATA_NONE)
		return true;
	if (mode == TRACE_V2_DATA_BYTES) {
		if (ev->len > (uint64_t)(end - *p)) {
			*why = "data past the record";
			return false;
		}
		ev->data = *p;
		*p += ev->len;
		if (refs != NULL)
			trace_v2_refs_keep(refs, ev->data, ev->len);
		return true;
	}
	if (refs == NULL) {
		*why = "same or delta data in slot 0";
		return false;
	}
	if (mode == TRACE_V2_DATA_SAME) {
		ev->data = trace_v2_refs_same(refs, ev->len);
		*why = "same data as no earlier record of the slot";
	} else {
		ev->data = trace_v2_delta_apply(refs, ev->len, p, end, why);
	}
	return ev->data != NULL;
}

const uint8_t *
trace_v2_decode(struct trace_v2_event *e, const uint8_t *p,
		const uint8_t *end, struct trace_slot_state *st,
		struct trace_data_refs *refs, const char **why)
{
	struct model_event *ev = &e->ev;
	unsigned type = e->kind & TRACE_V2_KIND_TYPE;
	*ev = (struct model_event){ .kind = (enum model_ev)type, .tid = e->tid };
	*why = "truncated fields";
	uint32_t site = st->site;
	bool prev = e->kind & TRACE_V2_KIND_SITE_PREV;
	if ((e->flags & TRACE_V2_F_SITE) && prev) {
		*why = "bad site mode";
		return NULL;
	}
	if ((e->flags & TRACE_V2_F_SITE) && !get32(&p, end, &site))
		return NULL;
	if (prev)
		site = st->site_prev;
	if (site != st->site)
		new_site(st, site);
	ev->site = site;
	unsigned region = (e->flags >> TRACE_V2_REGION_SHIFT) & 3;
	if (region == TRACE_V2_REGION_VALUE && !get32(&p, end, &st->region))
		return NULL;
	if (region > TRACE_V2_REGION_VALUE) {
		*why = "bad region mode";
		return NULL;
	}
	ev->region = region == TRACE_V2_REGION_ALL ? MODEL_REGION_ALL :
		st->region;
	unsigned off = (e->flags >> TRACE_V2_OFF_SHIFT) & 3;
	uint64_t delta = 0;
	if (off == TRACE_V2_OFF_DELTA && !get64(&p, end, &delta))
		return NULL;
	ev->off = off == TRACE_V2_OFF_ZERO ? 0 : off == TRACE_V2_OFF_SAME ?
		st->off : st->next + unzigzag(delta);
	if ((e->kind & TRACE_V2_KIND_LEN) && !get64(&p, end, &st->len[type]))
		return NULL;
	ev->len = st->len[type];
	after_range(st, off, ev);
	if (!decode_data(e, &p, end, refs, why))
		return NULL;
	return p;
}

uint32_t
trace_v2_seal(const uint8_t *p, size_t len)
{
	uint32_t crc = trace_crc32c(0, p, len);
	return crc != 0 ? crc : 1; /* 0: reserved, not yet sealed */
}
