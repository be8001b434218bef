/*
 * findings_report.c -- collecting findings and grouping them into the
 * entries a report prints: one per class and distinct stack
 *
 * Two sites may read the same once symbolized (two stores on one source
 * line are two instructions, so two sites): people want one entry for
 * them, so entries merge by the text of their stack, not by site id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "findings_impl.h"
#include "report_util.h"
#include "trace.h"

#define FINDINGS_FRAMES_MAX 256u /* frames printed per entry, inlines too */

struct findings_report *
findings_report_new(struct symbolizer *sym)
{
	struct findings_report *rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return NULL;
	rep->sym = sym;
	if (sym == NULL) {
		rep->sym = symbolizer_new();
		rep->own_sym = true;
		if (rep->sym == NULL) {
			free(rep);
			return NULL;
		}
	}
	return rep;
}

static void
entries_free(struct findings_report *rep)
{
	for (size_t i = 0; i < rep->nentries; i++) {
		free(rep->entry[i].sites);
		free(rep->entry[i].frames);
		free(rep->entry[i].related_frames);
		free(rep->entry[i].key);
	}
	free(rep->entry);
	rep->entry = NULL;
	rep->nentries = 0;
}

void
findings_report_delete(struct findings_report *rep)
{
	if (rep == NULL)
		return;
	entries_free(rep);
	for (size_t i = 0; i < rep->nregions; i++)
		free(rep->region_path[i]);
	free(rep->region_path);
	for (size_t i = 0; i < rep->nnosym; i++)
		free(rep->nosym[i]);
	free(rep->nosym);
	free(rep->f);
	if (rep->own_sym)
		symbolizer_delete(rep->sym);
	free(rep);
}

struct symbolizer *
findings_report_symbolizer(struct findings_report *rep)
{
	return rep->sym;
}

int
findings_report_add_region(struct findings_report *rep, uint32_t region,
		const char *path)
{
	int ret = report_grow((void **)&rep->region_path, &rep->nregions,
			sizeof(*rep->region_path), region);
	if (ret < 0)
		return ret;
	if (rep->region_path[region] != NULL)
		return 0;
	rep->region_path[region] = strdup(path);
	return rep->region_path[region] ? 0 : -ENOMEM;
}

const char *
findings_region_path(const struct findings_report *rep, uint32_t region)
{
	return region < rep->nregions ? rep->region_path[region] : NULL;
}

int
findings_report_add(struct findings_report *rep,
		const struct model_finding *f)
{
	if ((unsigned)f->cls >= MODEL_FIND_MAX)
		return -EINVAL;
	if (rep->nf == rep->capf) {
		size_t cap = rep->capf ? rep->capf * 2 : 64;
		struct model_finding *p = realloc(rep->f, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		rep->f = p;
		rep->capf = cap;
	}
	rep->f[rep->nf++] = *f;
	return 0;
}

static int
add_finding_record(struct findings_report *rep, const struct trace_rec *rec)
{
	const struct trace_finding_body *b = &rec->u.finding;
	struct model_finding f = {
		.cls = (enum model_finding_class)b->cls, .site = b->site,
		.count = b->count, .lines = b->lines, .region = b->region,
		.off = b->off, .related = b->related,
		.guessed = (b->flags & TRACE_FINDING_F_GUESSED) != 0,
	};
	return findings_report_add(rep, &f);
}

int
findings_report_add_record(struct findings_report *rep,
		const struct trace_rec *rec)
{
	int ret;
	switch (rec->type) {
	case TRACE_REC_REGION:
		ret = findings_report_add_region(rep, rec->u.region.region,
				rec->u.region.path);
		break;
	case TRACE_REC_FINDING:
		ret = add_finding_record(rep, rec);
		break;
	default:
		return symbolizer_add_record(rep->sym, rec);
	}
	return ret < 0 ? ret : 1;
}

void
findings_report_clear(struct findings_report *rep)
{
	entries_free(rep);
	rep->nf = 0;
}

size_t
findings_report_count(const struct findings_report *rep)
{
	return rep->nf;
}

/* entries in the order of findings (model_finding_cmp), by first site */
static int
entry_cmp(const void *a, const void *b)
{
	const struct finding_entry *x = a, *y = b;
	struct model_finding kx = { .cls = x->cls, .count = x->count,
		.site = x->sites[0], .guessed = x->guessed }, ky = {
		.cls = y->cls, .count = y->count, .site = y->sites[0],
		.guessed = y->guessed };
	return model_finding_cmp(&kx, &ky);
}

static int
site_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* stack_key -- the frames as text, one per line; "" for no stack */
static char *
stack_key(const struct sym_frame *fr, size_t n)
{
	char *key = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&key, &len);
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char buf[1024];
		sym_frame_format(&fr[i], buf, sizeof(buf));
		fprintf(m, "%s\n", buf);
	}
	fclose(m);
	return key;
}

static uint64_t
key_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/*
 * in_c_library -- the frame is in the C library. A store there (memcpy,
 * memset) is the caller's: its line inside the routine says nothing to
 * the user, and one call of glibc's memmove stores by four instructions
 * of its loop. Such a frame 0 is named by its function alone, so that
 * the findings of one call merge into one entry.
 */
static bool
in_c_library(const struct sym_frame *f)
{
	if (f->module == NULL)
		return false;
	const char *base = report_basename(f->module);
	return strncmp(base, "libc.so", 7) == 0 ||
		strncmp(base, "libc-", 5) == 0 ||
		strncmp(base, "libc.musl", 9) == 0;
}

/* entry_init -- a new entry for finding f: its stack resolved */
static int
entry_init(struct findings_report *rep, struct finding_entry *e,
		const struct model_finding *f)
{
	struct sym_frame fr[FINDINGS_FRAMES_MAX];
	size_t n = symbolizer_frames(rep->sym, f->site, fr,
			FINDINGS_FRAMES_MAX);
	if (n > FINDINGS_FRAMES_MAX)
		n = FINDINGS_FRAMES_MAX;
	if (n > 1 && in_c_library(&fr[0]))
		fr[0].by_function = true;
	*e = (struct finding_entry){
		.cls = f->cls, .count = f->count, .lines = f->lines,
		.region = f->region, .off = f->off, .nframes = n,
		.guessed = f->guessed,
	};
	e->sites = malloc(sizeof(*e->sites));
	e->frames = malloc((n ? n : 1) * sizeof(*e->frames));
	e->key = stack_key(fr, n);
	if (e->sites == NULL || e->frames == NULL || e->key == NULL)
		return -ENOMEM;
	memcpy(e->frames, fr, n * sizeof(*fr));
	if (f->related != 0) {
		n = symbolizer_frames(rep->sym, f->related, fr,
				FINDINGS_FRAMES_MAX);
		n = n > FINDINGS_FRAMES_MAX ? FINDINGS_FRAMES_MAX : n;
		e->related_frames = malloc((n ? n : 1) * sizeof(*fr));
		if (e->related_frames == NULL)
			return -ENOMEM;
		memcpy(e->related_frames, fr, n * sizeof(*fr));
		e->nrelated_frames = n;
	}
	e->sites[0] = f->site;
	e->nsites = 1;
	e->key_hash = key_hash(e->key);
	return 0;
}

/* entry_merge -- adds the findings of e (a later, rarer one) to into */
static int
entry_merge(struct finding_entry *into, struct finding_entry *e)
{
	uint32_t *s = realloc(into->sites, (into->nsites + e->nsites) *
			sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	memcpy(s + into->nsites, e->sites, e->nsites * sizeof(*s));
	into->sites = s;
	into->nsites += e->nsites;
	into->count += e->count;
	into->lines += e->lines; /* an upper bound: sites may share lines */
	into->guessed |= e->guessed;
	return 0;
}

static struct finding_entry *
entry_find(struct findings_report *rep, const struct finding_entry *e)
{
	for (size_t i = 0; i < rep->nentries; i++) {
		struct finding_entry *x = &rep->entry[i];
		if (x->cls == e->cls && x->guessed == e->guessed &&
				x->key_hash == e->key_hash &&
				strcmp(x->key, e->key) == 0)
			return x;
	}
	return NULL;
}

int
findings_entries(struct findings_report *rep)
{
	entries_free(rep);
	qsort(rep->f, rep->nf, sizeof(*rep->f), model_finding_cmp);
	rep->entry = calloc(rep->nf ? rep->nf : 1, sizeof(*rep->entry));
	if (rep->entry == NULL)
		return -ENOMEM;
	int ret = 0;
	for (size_t i = 0; i < rep->nf && ret == 0; i++) {
		struct finding_entry *e = &rep->entry[rep->nentries++];
		ret = entry_init(rep, e, &rep->f[i]);
		struct finding_entry *same = ret ? NULL : entry_find(rep, e);
		if (same != NULL && same != e) {
			ret = entry_merge(same, e);
			free(e->sites);
			free(e->frames);
			free(e->related_frames);
			free(e->key);
			rep->nentries--;
		}
	}
	for (size_t i = 0; i < rep->nentries; i++)
		qsort(rep->entry[i].sites, rep->entry[i].nsites,
				sizeof(uint32_t), site_cmp);
	qsort(rep->entry, rep->nentries, sizeof(*rep->entry), entry_cmp);
	return ret;
}
