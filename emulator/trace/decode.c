/*
 * decode.c -- record bodies decoded once and validated against the
 * regions the trace declared: a record that passes names existing
 * regions, ranges inside them and lengths within the documented limits
 * (docs/trace-format.md, "Validation"), so no consumer loops over a
 * forged length or creates a file of a forged size
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact.h"
#include "decode.h"

struct region_len {
	uint32_t id;
	uint64_t len;
};

struct trace_decoder {
	struct region_len *regions; /* sorted by id */
	size_t n;
	uint32_t images;        /* highest image instance declared (exec) */
	char why[160];
};

struct trace_decoder *
trace_decoder_new(void)
{
	struct trace_decoder *d = calloc(1, sizeof(*d));
	if (d != NULL)
		d->regions = calloc(TRACE_REGIONS_MAX, sizeof(*d->regions));
	if (d != NULL && d->regions == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
trace_decoder_reset(struct trace_decoder *d)
{
	d->n = 0;
	d->images = 0;
}

void
trace_decoder_delete(struct trace_decoder *d)
{
	if (d == NULL)
		return;
	free(d->regions);
	free(d);
}

static const char *
why(struct trace_decoder *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* why -- the reason, in d (or, without a decoder, this thread's buffer) */
static const char *
why(struct trace_decoder *d, const char *fmt, ...)
{
	static __thread char alone[sizeof(d->why)];
	char *buf = d ? d->why : alone;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(alone), fmt, ap);
	va_end(ap);
	return buf;
}

/* region_at -- the index where id is or would be inserted */
static size_t
region_at(const struct trace_decoder *d, uint32_t id)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->regions[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct region_len *
region_find(struct trace_decoder *d, uint32_t id)
{
	size_t i = region_at(d, id);
	return i < d->n && d->regions[i].id == id ? &d->regions[i] : NULL;
}

/* region_declare -- a REGION record: a new region, or one mapped again
 * (the longer length counts, as the explorer's media does) */
static const char *
region_declare(struct trace_decoder *d, uint32_t id, uint64_t len)
{
	if (d == NULL)
		return NULL;
	struct region_len *r = region_find(d, id);
	if (r != NULL) {
		if (len > r->len)
			r->len = len;
		return NULL;
	}
	if (d->n == TRACE_REGIONS_MAX)
		return why(d, "more than %u regions", TRACE_REGIONS_MAX);
	size_t i = region_at(d, id);
	memmove(d->regions + i + 1, d->regions + i,
			(d->n - i) * sizeof(*d->regions));
	d->regions[i] = (struct region_len){ id, len };
	d->n++;
	return NULL;
}

/* body_string -- the NUL-terminated string at off, or NULL */
static const char *
body_string(const struct trace_rec *rec, uint32_t off)
{
	if (off >= rec->body_len || memchr(rec->body + off, '\0',
			rec->body_len - off) == NULL)
		return NULL;
	return (const char *)rec->body + off;
}

static uint32_t
body_u32(const struct trace_rec *rec, uint32_t off)
{
	uint32_t v;
	memcpy(&v, rec->body + off, 4);
	return v;
}

static uint64_t
body_u64(const struct trace_rec *rec, uint32_t off)
{
	uint64_t v;
	memcpy(&v, rec->body + off, 8);
	return v;
}

void
trace_site_frame(const struct trace_rec *rec, uint32_t i, uint32_t *module,
		uint64_t *off)
{
	memcpy(module, rec->u.site.frames + 16 * (size_t)i, 4);
	memcpy(off, rec->u.site.frames + 16 * (size_t)i + 8, 8);
}

static const char *
too_short(struct trace_decoder *d, const struct trace_rec *rec, uint32_t min)
{
	return why(d, "body of %u bytes, shorter than %u", rec->body_len, min);
}

static const char *
len_over_max(struct trace_decoder *d, uint64_t len)
{
	return why(d, "length %llu over the maximum %llu",
			(unsigned long long)len,
			(unsigned long long)TRACE_REGION_MAX_LEN);
}

/*
 * image_of -- an id's image must have been declared: image i (a program
 * exec'd under the shim) numbers its regions from i << 8, modules from
 * i << 10, sites from i << 16 (docs/shim.md), and its PROCESS record
 * comes first; so a forged id cannot make a table indexed by id grow
 * past the images the trace has
 */
static const char *
image_of(struct trace_decoder *d, const char *what, uint32_t id,
		unsigned shift)
{
	if (id >= TRACE_ID_LIMIT)
		return why(d, "%s id %u over the limit", what, id);
	if (d != NULL && id >> shift > d->images)
		return why(d, "%s id %u of image %u, which no process record "
				"declared", what, id, id >> shift);
	return NULL;
}

/* existing -- the region a record names, or NULL with the reason set;
 * without a decoder (a record alone), any region of any length */
static struct region_len *
existing(struct trace_decoder *d, uint32_t id, const char **reason)
{
	static __thread struct region_len any;
	if (d == NULL) {
		any = (struct region_len){ id, TRACE_REGION_MAX_LEN };
		return &any;
	}
	struct region_len *r = region_find(d, id);
	if (r == NULL)
		*reason = why(d, "region %u was never declared", id);
	return r;
}

/*
 * event_range -- [off, off+len) against its region: stores and snapshots
 * inside it; flushes of whole lines may pass the end of a file whose size
 * is no multiple of the line, never its last page (MODEL.md: the model
 * counts only the bytes of the file); msync is page rounded by the model
 * and clamped to the region by every consumer
 */
static const char *
event_range(struct trace_decoder *d, const struct model_event *ev)
{
	const char *reason = NULL;
	uint64_t end = ev->off + ev->len;
	switch (ev->kind) {
	case MODEL_EV_SFENCE:
	case MODEL_EV_MFENCE:
	case MODEL_EV_LOCKED:
	case MODEL_EV_FLUSH_OUTSIDE: /* off is an address in no region */
		return NULL;
	case MODEL_EV_FSYNC:
	case MODEL_EV_SHUTDOWN:
		if (ev->region == MODEL_REGION_ALL)
			return NULL;
		break;
	default:
		break;
	}
	struct region_len *r = existing(d, ev->region, &reason);
	if (r == NULL)
		return reason;
	if (end < ev->off)
		return why(d, "range 0x%llx+0x%llx wraps around",
				(unsigned long long)ev->off,
				(unsigned long long)ev->len);
	uint64_t limit = r->len;
	switch (ev->kind) {
	case MODEL_EV_CLWB:
	case MODEL_EV_CLFLUSHOPT:
	case MODEL_EV_CLFLUSH:
	case MODEL_EV_SET_CLEAN:
		limit = (r->len + TRACE_BASE_PAGE - 1) / TRACE_BASE_PAGE *
			TRACE_BASE_PAGE;
		break;
	case MODEL_EV_MSYNC:
	case MODEL_EV_FSYNC:
	case MODEL_EV_SHUTDOWN:
		limit = TRACE_REGION_MAX_LEN;
		break;
	default:
		break;
	}
	if (end > limit)
		return why(d, "range 0x%llx+0x%llx outside region %u "
				"(%llu bytes)", (unsigned long long)ev->off,
				(unsigned long long)ev->len, ev->region,
				(unsigned long long)r->len);
	return NULL;
}

static const char *
decode_event(struct trace_decoder *d, struct trace_rec *rec)
{
	struct trace_ev_body b;
	if (rec->body_len < sizeof(b))
		return too_short(d, rec, sizeof(b));
	memcpy(&b, rec->body, sizeof(b));
	rec->ev = (struct model_event){ .kind = (enum model_ev)rec->type,
		.tid = rec->tid, .site = rec->site, .region = b.region,
		.off = b.off, .len = b.len, .data = NULL };
	if (rec->flags == 1 && b.len > rec->body_len - sizeof(b))
		return why(d, "%llu data bytes, %u in the record",
				(unsigned long long)b.len,
				rec->body_len - (uint32_t)sizeof(b));
	if (rec->flags == 1)
		rec->ev.data = rec->body + sizeof(b);
	return trace_decode_event_fields(d, rec);
}

const char *
trace_decode_event_fields(struct trace_decoder *d, struct trace_rec *rec)
{
	if (rec->flags & ~1u)
		return why(d, "unknown flags 0x%x", rec->flags);
	if (!(rec->flags & 1) && rec->type <= MODEL_EV_MOVDIR64B &&
			rec->ev.len > TRACE_UNTRACED_MAX_LEN) {
		/* the model keeps a state per line it stores to */
		return why(d, "a store of %llu bytes without its data, more "
				"than %u", (unsigned long long)rec->ev.len,
				TRACE_UNTRACED_MAX_LEN);
	}
	return event_range(d, &rec->ev);
}

static const char *
decode_region(struct trace_decoder *d, struct trace_rec *rec)
{
	struct trace_region_info *g = &rec->u.region;
	if (rec->body_len < 25)
		return too_short(d, rec, 25);
	g->region = body_u32(rec, 0);
	g->domain = body_u32(rec, 4);
	g->len = body_u64(rec, 8);
	g->line_len = body_u32(rec, 16);
	g->path = body_string(rec, 24);
	if (g->path == NULL)
		return why(d, "path without its NUL");
	const char *reason = image_of(d, "region", g->region, 8);
	if (reason != NULL)
		return reason;
	if (g->domain >= MODEL_DOMAINS)
		return why(d, "unknown domain %u", g->domain);
	if (g->line_len != 0 && (g->line_len < 64 || g->line_len > 4096 ||
			(g->line_len & (g->line_len - 1))))
		return why(d, "line length %u", g->line_len);
	if (g->len > TRACE_REGION_MAX_LEN)
		return len_over_max(d, g->len);
	return region_declare(d, g->region, g->len);
}

static const char *
decode_resize(struct trace_decoder *d, struct trace_rec *rec)
{
	const char *reason = NULL;
	if (rec->body_len < 16)
		return too_short(d, rec, 16);
	rec->u.region = (struct trace_region_info){ .region = body_u32(rec,
		0), .len = body_u64(rec, 8) };
	struct region_len *r = existing(d, rec->u.region.region, &reason);
	if (r == NULL)
		return reason;
	if (rec->u.region.len > TRACE_REGION_MAX_LEN)
		return len_over_max(d, rec->u.region.len);
	if (d != NULL)
		r->len = rec->u.region.len;
	return NULL;
}

static const char *
decode_site(struct trace_decoder *d, struct trace_rec *rec)
{
	struct trace_site_info *s = &rec->u.site;
	if (rec->body_len < 8)
		return too_short(d, rec, 8);
	memset(s, 0, sizeof(*s));
	s->site = body_u32(rec, 0);
	const char *reason = image_of(d, "site", s->site, 16);
	if (reason != NULL)
		return reason;
	if (rec->type == TRACE_REC_SITE_SRC) {
		s->line = body_u32(rec, 4);
		s->file = body_string(rec, 8);
		s->func = s->file ? body_string(rec, 8 +
				(uint32_t)strlen(s->file) + 1) : NULL;
		return s->func ? NULL : why(d, "file or function without "
				"its NUL");
	}
	s->nframes = body_u32(rec, 4);
	s->frames = rec->body + 8;
	if (s->nframes > TRACE_SITE_FRAMES_MAX)
		return why(d, "%u frames, more than %u", s->nframes,
				TRACE_SITE_FRAMES_MAX);
	if (8 + 16 * s->nframes > rec->body_len)
		return why(d, "%u frames in %u bytes", s->nframes,
				rec->body_len);
	return NULL;
}

static const char *
decode_module(struct trace_decoder *d, struct trace_rec *rec)
{
	struct trace_module_info *m = &rec->u.module;
	if (rec->body_len < 17)
		return too_short(d, rec, 17);
	m->module = body_u32(rec, 0);
	m->base = body_u64(rec, 8);
	m->path = body_string(rec, 16);
	const char *reason = image_of(d, "module", m->module, 10);
	if (reason != NULL)
		return reason;
	return m->path ? NULL : why(d, "path without its NUL");
}

/* base_fields -- a BASE record's fields; avail data bytes at data */
static const char *
base_fields(struct trace_decoder *d, struct trace_rec *rec, uint64_t avail,
		const uint8_t *data)
{
	struct trace_base_info *b = &rec->u.base;
	const char *reason = NULL;
	b->region = body_u32(rec, 0);
	b->off = body_u64(rec, 8);
	b->len = body_u64(rec, 16);
	b->data = data;
	if (existing(d, b->region, &reason) == NULL)
		return reason;
	if (b->off % TRACE_BASE_PAGE || b->len > TRACE_BASE_PAGE ||
			b->len > avail || b->off > TRACE_REGION_MAX_LEN)
		return why(d, "page 0x%llx+%llu", (unsigned long long)b->off,
				(unsigned long long)b->len);
	return NULL;
}

static const char *
decode_base(struct trace_decoder *d, struct trace_rec *rec)
{
	if (rec->body_len < 24)
		return too_short(d, rec, 24);
	return base_fields(d, rec, rec->body_len - 24u, rec->body + 24);
}

const char *
trace_decode_zero_base(struct trace_decoder *d, struct trace_rec *rec)
{
	if (rec->body_len < 24)
		return too_short(d, rec, 24);
	return base_fields(d, rec, TRACE_BASE_PAGE, trace_zero_page);
}

/* declare_image -- images join one after the other (shim_join.c: the
 * next instance under a lock), up to the id limit */
static const char *
declare_image(struct trace_decoder *d, uint32_t instance)
{
	if (instance > d->images + 1 || instance >= TRACE_ID_LIMIT >> 16)
		return why(d, "image %u joins after image %u", instance,
				d->images);
	if (instance > d->images)
		d->images = instance;
	return NULL;
}

/* decode_small -- the fixed-size and text records */
static const char *
decode_small(struct trace_decoder *d, struct trace_rec *rec)
{
	switch (rec->type) {
	case TRACE_REC_MARKER:
	case TRACE_REC_NOTE:
		rec->u.text = body_string(rec, 0);
		return rec->u.text ? NULL : why(d, "text without its NUL");
	case TRACE_REC_PROCESS:
		if (rec->body_len < 8)
			return too_short(d, rec, 8);
		rec->u.process = (struct trace_process_info){ body_u32(rec, 0),
			body_u32(rec, 4), rec->body_len >= 12 ?
			body_u32(rec, 8) : 0 };
		return d ? declare_image(d, rec->u.process.instance) : NULL;
	case TRACE_REC_END:
		if (rec->body_len < 4)
			return too_short(d, rec, 4);
		rec->u.exit_status = (int32_t)body_u32(rec, 0);
		return NULL;
	case TRACE_REC_FINDING:
		/* a body written before `when` existed ends there: at exit */
		if (rec->body_len < TRACE_FINDING_BODY_MIN)
			return too_short(d, rec, TRACE_FINDING_BODY_MIN);
		memset(&rec->u.finding, 0, sizeof(rec->u.finding));
		memcpy(&rec->u.finding, rec->body,
				rec->body_len < sizeof(rec->u.finding) ?
				rec->body_len : sizeof(rec->u.finding));
		if (rec->u.finding.cls >= MODEL_FIND_MAX)
			return why(d, "unknown finding class %u",
					rec->u.finding.cls);
		return NULL;
	default:
		return why(d, "unknown record type %u", rec->type);
	}
}

const char *
trace_decode(struct trace_decoder *d, struct trace_rec *rec)
{
	if (rec->type >= 1 && rec->type < MODEL_EV_MAX)
		return decode_event(d, rec);
	switch (rec->type) {
	case TRACE_REC_REGION:
		return decode_region(d, rec);
	case TRACE_REC_RESIZE:
		return decode_resize(d, rec);
	case TRACE_REC_SITE:
	case TRACE_REC_SITE_SRC:
		return decode_site(d, rec);
	case TRACE_REC_MODULE:
		return decode_module(d, rec);
	case TRACE_REC_BASE:
		return decode_base(d, rec);
	default:
		return decode_small(d, rec);
	}
}

int
trace_rec_decode(struct trace_rec *rec)
{
	return trace_decode(NULL, rec) ? -EINVAL : 0;
}
