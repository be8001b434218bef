/* replay.c -- a trace through a content-mode model, record by record
 *
 * The crash point number is the count of records applied: point P is the
 * crash right after record P-1 and before record P. It does not depend on
 * any option, so state ids stay stable (docs/explore.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linemap.h"
#include "media.h"
#include "replay.h"
#include "report.h"
#if __has_include("symbolize.h")
#include "symbolize.h"
#include "xalloc.h"
#define XP_HAVE_SYMBOLIZER 1
#endif

char *
xp_strdup(const char *s)
{
	char *d = xstrdup(s ? s : "", "xp_strdup: d");
	return d;
}

void
xp_strv_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v), "xp_strv_push: v");
	(*v)[(*n)++] = xp_strdup(s);
}

void
xp_strv_union(char ***v, size_t *n, char *const *src, size_t nsrc)
{
	for (size_t i = 0; i < nsrc; i++) {
		size_t j = 0;
		while (j < *n && strcmp((*v)[j], src[i]) != 0)
			j++;
		if (j == *n)
			xp_strv_push(v, n, src[i]);
	}
}

void
xp_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
xp_site_free(struct xp_site *s)
{
	for (size_t i = 0; i < s->nframes; i++) {
		free(s->frames[i].function);
		free(s->frames[i].file);
		free(s->frames[i].module);
	}
	free(s->frames);
	memset(s, 0, sizeof(*s));
}

static char *
dup_or_null(const char *s)
{
	return s ? xp_strdup(s) : NULL;
}

void
xp_site_copy(struct xp_site *dst, const struct xp_site *src)
{
	dst->id = src->id;
	dst->nframes = src->nframes;
	dst->frames = xcalloc(src->nframes + 1, sizeof(*dst->frames),
			"xp_site_copy: dst->frames");
	for (size_t i = 0; i < src->nframes; i++) {
		dst->frames[i] = src->frames[i];
		dst->frames[i].function = dup_or_null(src->frames[i].function);
		dst->frames[i].file = dup_or_null(src->frames[i].file);
		dst->frames[i].module = dup_or_null(src->frames[i].module);
	}
}

void
xp_replay_note(struct xp_replay *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf("a note", fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->nnotes; i++)
		if (strcmp(r->notes[i], s) == 0) {
			free(s);
			return;
		}
	xp_strv_push(&r->notes, &r->nnotes, s);
	free(s);
}

int
xp_replay_open(struct xp_replay *r, const char *trace_path,
		const char *pmem_dir, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	xp_media_init(&r->media, pmem_dir);
	r->touched = xp_linemap_new();
	if (trace_reader_open(trace_path, &r->rd, err, errlen) != 0)
		return -1;
	/* the original media pages first: the model asks for lines early */
	struct trace_rec rec;
	while (trace_next(r->rd, &rec) == 1)
		if (rec.type == TRACE_REC_BASE)
			xp_media_base(&r->media, &rec);
	trace_rewind(r->rd);
	const struct trace_header *h = trace_reader_header(r->rd);
	struct model_config *cfg = model_config_new();
	if (cfg == NULL)
		abort();
	int rc = model_config_set_contents(cfg, true);
	if (rc == 0)
		rc = model_config_set_domain(cfg, (enum model_domain)h->domain);
	if (rc == 0)
		rc = model_config_set_line(cfg, h->line_len);
	if (rc == 0 && h->sector_len)
		rc = model_config_set_sector(cfg, h->sector_len);
	if (rc == 0)
		rc = model_config_set_clflush_weak(cfg,
				(h->flags & TRACE_F_CLFLUSH_WEAK) != 0);
	if (rc == 0)
		r->m = model_new(cfg, xp_media_read, &r->media);
	model_config_delete(cfg);
	if (r->m == NULL) {
		snprintf(err, errlen, "%s: unsupported trace header "
				"(domain %u, line %u)", trace_path, h->domain,
				h->line_len);
		return -1;
	}
	r->have_next = -2; /* not read yet */
#ifdef XP_HAVE_SYMBOLIZER
	r->sym = symbolizer_new();
#endif
	return 0;
}

void
xp_replay_close(struct xp_replay *r)
{
	if (r->m)
		model_delete(r->m);
	if (r->rd)
		trace_reader_close(r->rd);
#ifdef XP_HAVE_SYMBOLIZER
	if (r->sym)
		symbolizer_delete(r->sym);
#endif
	xp_media_fini(&r->media);
	xp_linemap_delete(r->touched);
	xp_strv_free(r->markers, r->nmarkers);
	xp_strv_free(r->notes, r->nnotes);
	for (size_t i = 0; i < r->nsites; i++)
		xp_site_free(&r->sites[i]);
	free(r->sites);
	xp_strv_free(r->modules, r->nmodules);
	memset(r, 0, sizeof(*r));
}

/* site_slot -- the site of id (< TRACE_ID_LIMIT), grown into the table */
static struct xp_site *
site_slot(struct xp_replay *r, uint32_t id)
{
	if (id >= r->nsites) {
		size_t n = (size_t)id + 1;
		r->sites = xrealloc(r->sites, n * sizeof(*r->sites),
				"site_slot: r->sites");
		memset(r->sites + r->nsites, 0, (n - r->nsites) *
				sizeof(*r->sites));
		r->nsites = n;
	}
	r->sites[id].id = id;
	return &r->sites[id];
}

const struct xp_site *
xp_replay_site(const struct xp_replay *r, uint32_t id)
{
	return id < r->nsites ? &r->sites[id] : NULL;
}

static const char *
module_path(const struct xp_replay *r, uint32_t id)
{
	return id < r->nmodules ? r->modules[id] : NULL;
}

/* rec_site -- SITE: frames of module offsets; SITE_SRC: a source line
 * (records decoded and validated by the reader) */
static void
rec_site(struct xp_replay *r, const struct trace_rec *rec)
{
	const struct trace_site_info *si = &rec->u.site;
	struct xp_site *s = site_slot(r, si->site);
	if (rec->type == TRACE_REC_SITE_SRC) {
		struct xp_frame f = { 0 };
		f.file = xp_strdup(si->file);
		f.function = xp_strdup(si->func);
		f.line = (int)si->line;
		xp_site_free(s);
		s->id = si->site;
		s->frames = xcalloc(1, sizeof(f), "rec_site: s->frames");
		s->frames[0] = f;
		s->nframes = 1;
		return;
	}
	if (s->nframes)
		return; /* a source location wins */
	s->frames = xcalloc(si->nframes + 1, sizeof(*s->frames),
			"rec_site: s->frames");
	for (uint32_t i = 0; i < si->nframes; i++) {
		uint32_t mod;
		trace_site_frame(rec, i, &mod, &s->frames[i].offset);
		s->frames[i].has_offset = true;
		s->frames[i].module = dup_or_null(module_path(r, mod));
	}
	s->nframes = si->nframes;
}

static void
rec_module(struct xp_replay *r, const struct trace_rec *rec)
{
	uint32_t id = rec->u.module.module;
	while (r->nmodules <= id)
		xp_strv_push(&r->modules, &r->nmodules, "");
	free(r->modules[id]);
	r->modules[id] = xp_strdup(rec->u.module.path);
}

static void
symbolize_rec(struct xp_replay *r, const struct trace_rec *rec)
{
#ifdef XP_HAVE_SYMBOLIZER
	if (r->sym)
		symbolizer_add_record(r->sym, rec);
#else
	(void)r;
	(void)rec;
#endif
}

/* xp_replay_resolve -- frames of a site from the symbolizer; false if none */
bool
xp_replay_resolve(const struct xp_replay *r, uint32_t id, struct xp_site *out)
{
#ifdef XP_HAVE_SYMBOLIZER
	struct sym_frame fr[32];
	if (r->sym == NULL || id == 0)
		return false;
	size_t n = symbolizer_frames(r->sym, id, fr, 32);
	if (n == 0)
		return false;
	if (n > 32)
		n = 32;
	out->id = id;
	out->nframes = n;
	out->frames = xcalloc(n, sizeof(*out->frames),
			"xp_replay_resolve: out->frames");
	for (size_t i = 0; i < n; i++) {
		out->frames[i].function = fr[i].func ? xp_strdup(fr[i].func) :
			NULL;
		out->frames[i].file = fr[i].file ? xp_strdup(fr[i].file) : NULL;
		out->frames[i].line = (int)fr[i].line;
		out->frames[i].module = fr[i].module ? xp_strdup(fr[i].module) :
			NULL;
		out->frames[i].offset = fr[i].module_off;
		out->frames[i].has_offset = fr[i].module != NULL;
	}
	return true;
#else
	(void)r;
	(void)id;
	(void)out;
	return false;
#endif
}

struct touch_range {
	struct xp_replay *r;
	uint32_t region;
	uint64_t first, end;
};

static void
touch_held(void *ctx, uint32_t region, uint64_t off, const uint8_t *content,
		uint32_t len)
{
	struct touch_range *t = ctx;
	(void)content;
	(void)len;
	if (region == t->region && off >= t->first && off < t->end)
		xp_linemap_get(t->r->touched, region, off);
}

/* touch -- every line of [off, off+len) may change its durable content;
 * a range past the region (msync rounds to pages) touches no more, and
 * a range of more lines than the model holds touches only those it holds
 * (the others keep their pristine content): a flush of a whole large
 * region costs what the model holds, not the region's size */
static void
touch(struct xp_replay *r, const struct model_event *ev)
{
	uint32_t line = model_region_line(r->m, ev->region);
	const struct xp_region *reg = xp_media_find(&r->media, ev->region);
	if (line == 0 || ev->len == 0 || reg == NULL)
		return;
	struct touch_range t = { r, ev->region, ev->off / line * line,
		ev->off + ev->len < reg->len ? ev->off + ev->len : reg->len };
	if (t.end > t.first &&
			(t.end - t.first) / line > model_lines(r->m) + 64) {
		model_for_each_durable(r->m, touch_held, &t);
		return;
	}
	for (uint64_t o = t.first; o < t.end; o += line)
		xp_linemap_get(r->touched, ev->region, o);
}

static int
rec_region(struct xp_replay *r, const struct trace_rec *rec, char *err,
		size_t errlen)
{
	const struct trace_region_info *g = &rec->u.region;
	if (xp_media_find(&r->media, g->region) == NULL &&
			model_region_add(r->m, g->region, g->len,
			(enum model_domain)g->domain) != 0) {
		snprintf(err, errlen, "trace: bad REGION record at offset %llu",
				(unsigned long long)rec->file_off);
		return -1;
	}
	return xp_media_region(&r->media, g->region, g->domain, g->len,
			model_region_line(r->m, g->region), g->path, err,
			errlen);
}

/* rec_resize -- the region's file changed size (ftruncate) */
static void
rec_resize(struct xp_replay *r, const struct trace_rec *rec)
{
	struct xp_region *reg = xp_media_find(&r->media, rec->u.region.region);
	if (reg != NULL)
		reg->len = rec->u.region.len;
	model_region_resize(r->m, rec->u.region.region, rec->u.region.len);
}

/* untraced_site -- an untraced store: remember where (its module) */
static void
untraced_site(struct xp_replay *r, uint32_t site)
{
	r->untraced = true;
	for (size_t i = 0; i < r->nuntraced_sites; i++)
		if (r->untraced_sites[i] == site)
			return;
	if (r->nuntraced_sites < XP_UNTRACED_SITES)
		r->untraced_sites[r->nuntraced_sites++] = site;
}

/* rec_finding -- keeps the first few stores made before their TX_ADD */
static void
rec_finding(struct xp_replay *r, const struct trace_rec *rec)
{
	const struct trace_finding_body b = rec->u.finding;
	if (b.cls != MODEL_FIND_TX_ADD_LATE || r->ntx_late == XP_TX_LATE_MAX)
		return;
	r->tx_late[r->ntx_late++] = (struct model_finding){
		.cls = MODEL_FIND_TX_ADD_LATE, .site = b.site,
		.count = b.count, .region = b.region, .off = b.off,
		.related = b.related };
}

/* apply -- one record into the model and the tables */
static int
apply(struct xp_replay *r, const struct trace_rec *rec, char *err,
		size_t errlen)
{
	if (rec->type > 0 && rec->type < MODEL_EV_MAX) {
		const struct model_event *ev = &rec->ev;
		if (ev->kind == MODEL_EV_STORE && ev->data == NULL)
			untraced_site(r, ev->site);
		if (model_apply(r->m, ev) != 0) {
			snprintf(err, errlen, "trace: malformed %s event at "
				"offset %llu", model_ev_name(ev->kind),
				(unsigned long long)rec->file_off);
			return -1;
		}
		if (ev->kind <= MODEL_EV_CLFLUSH)
			touch(r, ev);
		return 0;
	}
	switch (rec->type) {
	case TRACE_REC_REGION:
		return rec_region(r, rec, err, errlen);
	case TRACE_REC_RESIZE:
		rec_resize(r, rec);
		return 0;
	case TRACE_REC_MARKER:
		xp_strv_push(&r->markers, &r->nmarkers, rec->u.text);
		return 0;
	case TRACE_REC_SITE:
	case TRACE_REC_SITE_SRC:
		rec_site(r, rec);
		symbolize_rec(r, rec);
		return 0;
	case TRACE_REC_MODULE:
		rec_module(r, rec);
		symbolize_rec(r, rec);
		return 0;
	case TRACE_REC_FINDING:
		rec_finding(r, rec);
		return 0;
	case TRACE_REC_NOTE:
		xp_replay_note(r, "%s", rec->u.text);
		return 0;
	default:
		return 0;
	}
}

/* peek -- reads the next record into r->next once */
static int
peek(struct xp_replay *r, char *err, size_t errlen)
{
	if (r->have_next != -2)
		return 0;
	int rc = trace_next(r->rd, &r->next);
	if (rc < 0) {
		snprintf(err, errlen, "%s", trace_reader_error(r->rd));
		return -1;
	}
	r->have_next = rc;
	if (rc == 0 && trace_reader_truncated(r->rd) && !r->truncated) {
		r->truncated = true;
		xp_replay_note(r, "the trace ends without an END record (the "
			"program was killed): explored up to its last whole "
			"record (byte %llu)", (unsigned long long)
			trace_reader_good_end(r->rd));
	}
	return 0;
}

int
xp_replay_to(struct xp_replay *r, uint64_t point, char *err, size_t errlen)
{
	while (r->applied < point) {
		if (peek(r, err, errlen) != 0)
			return -1;
		if (r->have_next == 0) {
			snprintf(err, errlen, "crash point %llu is past the end "
				"of the trace (%llu records)",
				(unsigned long long)point,
				(unsigned long long)r->applied);
			return -1;
		}
		if (apply(r, &r->next, err, errlen) != 0)
			return -1;
		r->applied++;
		r->have_next = -2;
	}
	return 0;
}

char *
xp_replay_markers(const struct xp_replay *r)
{
	size_t len = 1;
	for (size_t i = 0; i < r->nmarkers; i++)
		len += strlen(r->markers[i]) + 1;
	char *s = xmalloc(len, "xp_replay_markers: s");
	char *p = s;
	for (size_t i = 0; i < r->nmarkers; i++) {
		if (i)
			*p++ = ',';
		size_t n = strlen(r->markers[i]);
		memcpy(p, r->markers[i], n);
		p += n;
	}
	*p = '\0';
	return s;
}
