/* explain_line.c -- what the minimal explanation says about one line: why
 * it was not durable and every store it lost in the failing state, the
 * program's own stores (a source line) before a library's */
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "replay.h"
#include "report.h"
#include "states.h"
#include "xalloc.h"

#define STORES_MAX 8  /* distinct store sites listed per line */

static const char *
reason(const struct model_open_line *l, const struct model_outcome *kept,
		enum xp_line_role role)
{
	if (role == XP_LINE_UNKNOWN)
		return "content-unknown";
	if (role == XP_LINE_ARRIVED)
		return "persisted-early";
	if (kept->kind == MODEL_OUT_TORN)
		return "torn";
	if (kept->kind == MODEL_OUT_POISON)
		return "poisoned";
	if (l->dirty && l->flush_site == 0)
		return "never-flushed";
	if (l->dirty)
		return "stored-after-flush";
	if (l->in_flight)
		return "flushed-no-fence";
	return "unknown";
}

/* rank -- 0: the store itself has a source line (the program's); 1: a
 * caller has one (a library called by the program); 2: none */
static int
rank(const struct xp_site *s)
{
	for (size_t i = 0; i < s->nframes; i++)
		if (s->frames[i].file && s->frames[i].line)
			return i == 0 ? 0 : 1;
	return 2;
}

/* add_store -- appends site id (resolved) unless listed or full */
static void
add_store(const struct xp_replay *r, uint32_t id, struct xp_rline *out)
{
	if (id == 0 || out->nstores == STORES_MAX)
		return;
	for (size_t i = 0; i < out->nstores; i++)
		if (out->stores[i].id == id)
			return;
	xp_report_site(r, id, &out->stores[out->nstores++]);
}

/* order_stores -- stable: the kept first entry (torn), then by rank */
static void
order_stores(struct xp_rline *out, size_t fixed)
{
	for (size_t i = fixed + 1; i < out->nstores; i++) {
		struct xp_site s = out->stores[i];
		size_t j = i;
		for (; j > fixed && rank(&out->stores[j - 1]) > rank(&s); j--)
			out->stores[j] = out->stores[j - 1];
		out->stores[j] = s;
	}
}

/* version_content -- the line's content at version v (0: durable), or
 * NULL if unknown */
static const uint8_t *
version_content(const struct xp_open *o, uint32_t v)
{
	for (size_t k = 0; k < o->nout; k++)
		if ((v == 0 && o->out[k].kind == MODEL_OUT_LOST) ||
				(v && o->out[k].kind == MODEL_OUT_EVICT &&
				 o->out[k].point == v))
			return xp_open_content(o, k);
	return NULL;
}

/* changed_pieces -- the pieces of plen bytes version v changed */
static uint64_t
changed_pieces(const struct xp_open *o, uint32_t v, uint32_t plen)
{
	const uint8_t *a = version_content(o, v - 1), *b = version_content(o, v);
	if (a == NULL || b == NULL)
		return ~0ull;
	uint64_t mask = 0;
	for (uint32_t p = 0; p * plen < o->line_len && p < 64; p++)
		if (memcmp(a + p * plen, b + p * plen, plen) != 0)
			mask |= 1ull << p;
	return mask;
}

/* listed -- version v is among the stores the role names: those lost in
 * F, or those that arrived; a torn page-cache write-back loses or
 * delivers each version's sectors by the mask */
static bool
listed(const struct xp_open *o, const struct model_outcome *kept,
		enum xp_line_role role, uint32_t v, uint32_t plen)
{
	if (role == XP_LINE_UNKNOWN || kept->kind == MODEL_OUT_LOST)
		return role != XP_LINE_ARRIVED;
	bool after = v > kept->point;
	if (kept->kind == MODEL_OUT_TORN && plen > 8 && !after) {
		uint64_t ch = changed_pieces(o, v, plen);
		return role == XP_LINE_ARRIVED ? (ch & kept->pieces) != 0 :
			(ch & ~kept->pieces) != 0;
	}
	if (kept->kind == MODEL_OUT_TORN && v == kept->point)
		return true; /* torn: part arrived, part lost */
	return role == XP_LINE_ARRIVED ? !after : after;
}

/* named_stores -- the sites of the versions the role names, the torn
 * store first, then the program's stores before a library's */
static void
named_stores(const struct xp_replay *r, const struct xp_open *o,
		const struct model_outcome *kept, enum xp_line_role role,
		uint32_t plen, struct xp_rline *out)
{
	const struct model_open_line *l = &o->line;
	out->stores = xcalloc(STORES_MAX, sizeof(*out->stores),
			"named_stores: out->stores");
	bool torn_store = role == XP_LINE_LOST && plen == 8 &&
		kept->kind == MODEL_OUT_TORN;
	if (torn_store)
		add_store(r, model_version_site(r->m, l->region, l->off,
				kept->point), out);
	size_t fixed = out->nstores;
	for (uint32_t v = 1; v <= l->versions; v++)
		if (listed(o, kept, role, v, plen))
			add_store(r, model_version_site(r->m, l->region,
					l->off, v), out);
	if (out->nstores == 0)
		add_store(r, l->store_site, out);
	order_stores(out, fixed);
}

static uint32_t
piece_len(const struct xp_replay *r, uint32_t region)
{
	for (size_t i = 0; i < r->media.n; i++)
		if (r->media.regions[i].id == region &&
				r->media.regions[i].domain ==
				MODEL_DOMAIN_PAGECACHE) {
			uint32_t s = trace_reader_header(r->rd)->sector_len;
			return s ? s : 512;
		}
	return 8;
}

void
xp_explain_line(const struct xp_replay *r, const struct xp_open *o,
		const struct model_outcome *kept, enum xp_line_role role,
		struct xp_rline *out)
{
	const struct model_open_line *l = &o->line;
	uint32_t plen = piece_len(r, l->region);
	memset(out, 0, sizeof(*out));
	out->region = l->region;
	out->off = l->off;
	out->len = o->line_len;
	out->reason = xp_strdup(reason(l, kept, role));
	named_stores(r, o, kept, role, plen, out);
	if (out->nstores)
		xp_site_copy(&out->store_site, &out->stores[0]);
	else
		xp_report_site(r, 0, &out->store_site);
	xp_report_site(r, l->flush_site, &out->flush_site);
	if (kept->kind == MODEL_OUT_TORN && role != XP_LINE_UNKNOWN) {
		out->torn_pieces = kept->pieces;
		out->piece_len = plen;
	}
}

void
xp_rline_free(struct xp_rline *l)
{
	free(l->reason);
	xp_site_free(&l->store_site);
	xp_site_free(&l->flush_site);
	for (size_t i = 0; i < l->nstores; i++)
		xp_site_free(&l->stores[i]);
	free(l->stores);
	memset(l, 0, sizeof(*l));
}

void
xp_rline_copy(struct xp_rline *dst, const struct xp_rline *src)
{
	*dst = *src;
	dst->reason = src->reason ? xp_strdup(src->reason) : NULL;
	xp_site_copy(&dst->store_site, &src->store_site);
	xp_site_copy(&dst->flush_site, &src->flush_site);
	dst->stores = xcalloc(src->nstores + 1, sizeof(*dst->stores),
			"xp_rline_copy: dst->stores");
	for (size_t i = 0; i < src->nstores; i++)
		xp_site_copy(&dst->stores[i], &src->stores[i]);
}
