/*
 * model_oracle.c -- the C side of the differential test: reads event
 * sequences in the protocol of docs/differential.md on stdin, feeds them
 * to the model through model.h only, and prints the crash images (as
 * hashes), the open lines and the findings, exactly as the Python
 * reference (scripts/pmemu_ref/) prints them for the same input.
 *
 * Usage: model_oracle [-v] < sequences   (-v: list every image hash)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model_oracle_hash.h"

#define PAGE_LEN 4096u
#define IMAGE_SET_MAX 4096u
#define REGIONS_MAX 64

static const char *const finding_names[] = {
	"unpersisted", "no-fence", "redundant", "outside", "pagecache-flush",
};

struct region {
	uint32_t id;
	uint64_t len;
	uint32_t line;
};

struct oracle {
	struct model *m;
	bool verbose;
	unsigned crashes;
	unsigned lineno;
	size_t nregions;
	struct region regions[REGIONS_MAX];
	uint8_t *data;       /* decoded hex of the current event */
	size_t data_cap;
};

/* ---- media and input ---- */

/* pattern -- the initial media: byte i of region r is (r*131+i*7+1) */
static void pattern(void *ctx, uint32_t region, uint64_t off, uint8_t *buf,
		uint32_t len)
{
	(void)ctx;
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(region * 131u + (off + i) * 7u + 1u);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "model_oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static void die(const struct oracle *o, const char *what)
{
	fprintf(stderr, "model_oracle: error: line %u: %s\n", o->lineno, what);
	exit(2);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hex_decode -- into o->data; returns the byte count */
static size_t hex_decode(struct oracle *o, const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n > o->data_cap) {
		free(o->data);
		o->data_cap = n * 2;
		o->data = xmalloc(o->data_cap);
	}
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			die(o, "bad hex");
		o->data[i] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

static const struct region *region_of(const struct oracle *o, uint32_t id)
{
	for (size_t i = 0; i < o->nregions; i++)
		if (o->regions[i].id == id)
			return &o->regions[i];
	return NULL;
}

/* ---- crash report ---- */

struct open_info {
	struct model_open_line ol;
	size_t counts[5];     /* per enum model_outcome_kind */
	uint64_t durable;     /* hash of the LOST content */
	uint64_t *hashes;     /* distinct outcome content hashes, sorted */
	size_t nhashes;
};

/* durable_hash -- hash of a line's durable content (the pattern if
 * untouched); checks model_line_durable against the LOST outcome */
static uint64_t durable_hash(const struct oracle *o, const struct region *r,
		uint64_t off, uint8_t *buf)
{
	if (model_line_durable(o->m, r->id, off, buf) != 0)
		pattern(NULL, r->id, off, buf, r->line);
	return cached_line_hash(r->id, off, buf, r->line, 0);
}

static void line_outcomes(const struct oracle *o, const struct region *r,
		struct open_info *oi, uint8_t *buf)
{
	size_t max = 64, n;
	struct model_outcome *out = NULL;
	for (;;) {
		out = realloc(out, max * sizeof(*out));
		n = model_line_outcomes(o->m, r->id, oi->ol.off,
				MODEL_STRAT_ALL | MODEL_STRAT_POISON, out, max);
		if (n <= max)
			break;
		max = n;
	}
	oi->hashes = xmalloc(n * sizeof(uint64_t));
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)out[i].kind < 5)
			oi->counts[out[i].kind]++;
		if (model_outcome_content(o->m, r->id, oi->ol.off, &out[i],
				buf) != 0)
			printf("check outcome-content-failed %u %" PRIu64 " %zu\n",
				r->id, oi->ol.off, i);
		/* a poisoned line: its pattern at an offset no line has
		 * (docs/differential.md, "Hashes") */
		uint64_t h = out[i].kind == MODEL_OUT_POISON ?
			line_hash(r->id, oi->ol.off ^ (1ull << 63), buf, r->line) :
			cached_line_hash(r->id, oi->ol.off, buf, r->line, i + 1);
		if (i == 0 && (out[i].kind != MODEL_OUT_LOST ||
				h != oi->durable))
			printf("check lost-first-and-durable %u %" PRIu64 "\n",
				r->id, oi->ol.off);
		oi->hashes[i] = h;
	}
	oi->nhashes = sort_unique(oi->hashes, n);
	free(out);
}

static size_t get_open_lines(const struct oracle *o,
		struct model_open_line **out)
{
	size_t max = 16, n;
	*out = NULL;
	for (;;) {
		*out = realloc(*out, max * sizeof(**out));
		n = model_open_lines(o->m, *out, max);
		if (n <= max)
			return n;
		max = n;
	}
}

/* image_set -- every sum base + one delta per open line, sorted */
static size_t image_set(uint64_t base, const struct open_info *oi, size_t n,
		uint64_t **out)
{
	size_t count = 1;
	uint64_t *set = xmalloc(IMAGE_SET_MAX * sizeof(uint64_t));
	uint64_t *next = xmalloc(IMAGE_SET_MAX * sizeof(uint64_t));
	set[0] = base;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (size_t a = 0; a < count; a++)
			for (size_t b = 0; b < oi[i].nhashes; b++)
				next[k++] = set[a] + oi[i].hashes[b] -
					oi[i].durable;
		count = sort_unique(next, k);
		uint64_t *t = set;
		set = next;
		next = t;
	}
	free(next);
	*out = set;
	return count;
}

static void print_open(const struct open_info *oi, bool with_set,
		bool verbose)
{
	const struct model_open_line *l = &oi->ol;
	printf("open %u %" PRIu64 " v=%u flags=%c%c%c site=%u lost=%zu wb=%zu"
		" evict=%zu torn=%zu poison=%zu distinct=%zu", l->region, l->off,
		l->versions, l->dirty ? 'd' : '-', l->in_flight ? 'f' : '-',
		l->unexplored ? 'u' : '-', l->store_site,
		oi->counts[MODEL_OUT_LOST], oi->counts[MODEL_OUT_WB],
		oi->counts[MODEL_OUT_EVICT], oi->counts[MODEL_OUT_TORN],
		oi->counts[MODEL_OUT_POISON], oi->nhashes);
	if (with_set)
		printf(" set=%016" PRIx64, set_digest(oi->hashes, oi->nhashes));
	printf("\n");
	if (with_set && verbose)
		for (size_t i = 0; i < oi->nhashes; i++)
			printf("linehash %016" PRIx64 "\n", oi->hashes[i]);
}

static void check_for_each_durable(const struct oracle *o);

static void crash(struct oracle *o)
{
	struct model_open_line *ol;
	size_t nopen = get_open_lines(o, &ol);
	struct open_info *oi = calloc(nopen + 1, sizeof(*oi));
	uint8_t *buf = xmalloc(PAGE_LEN * 2);
	uint64_t base = 0;
	double product = 1;
	size_t next = 0;
	for (size_t i = 0; i < o->nregions; i++) {
		const struct region *r = &o->regions[i];
		for (uint64_t off = 0; off < r->len; off += r->line)
			base += durable_hash(o, r, off, buf);
	}
	for (size_t k = 0; k < nopen; k++) {
		const struct region *r = region_of(o, ol[k].region);
		oi[next].ol = ol[k];
		if (r == NULL) {
			printf("check open-line-in-no-region %u\n", ol[k].region);
			continue;
		}
		oi[next].durable = durable_hash(o, r, ol[k].off, buf);
		line_outcomes(o, r, &oi[next], buf);
		product *= (double)oi[next].nhashes;
		next++;
	}
	printf("crash %u open=%zu durable=%016" PRIx64, o->crashes++, nopen,
		base);
	bool whole = product <= IMAGE_SET_MAX;
	if (whole) {
		uint64_t *set;
		size_t n = image_set(base, oi, next, &set);
		printf(" images=%zu set=%016" PRIx64 "\n", n, set_digest(set, n));
		for (size_t i = 0; o->verbose && i < n; i++)
			printf("image %016" PRIx64 "\n", set[i]);
		free(set);
	} else {
		printf(" images=perline\n");
	}
	for (size_t k = 0; k < next; k++) {
		print_open(&oi[k], !whole, o->verbose);
		free(oi[k].hashes);
	}
	check_for_each_durable(o);
	free(buf);
	free(oi);
	free(ol);
}

struct durable_walk {
	const struct oracle *o;
	uint8_t *buf;
	size_t seen;
};

static void durable_line(void *ctx, uint32_t region, uint64_t off,
		const uint8_t *content, uint32_t len)
{
	struct durable_walk *w = ctx;
	const struct region *r = region_of(w->o, region);
	w->seen++;
	if (r == NULL || len != r->line ||
			model_line_durable(w->o->m, region, off, w->buf) != 0 ||
			memcmp(w->buf, content, len) != 0) {
		printf("check for-each-durable %u %" PRIu64 "\n", region, off);
		return;
	}
}

/* check_for_each_durable -- the walk must list exactly the lines the
 * model holds (model_line_durable succeeds), with that content */
static void check_for_each_durable(const struct oracle *o)
{
	uint8_t *buf = xmalloc(PAGE_LEN * 2);
	struct durable_walk w = { o, buf + PAGE_LEN, 0 };
	size_t differ = 0;
	for (size_t i = 0; i < o->nregions; i++) {
		const struct region *r = &o->regions[i];
		for (uint64_t off = 0; off < r->len; off += r->line)
			differ += model_line_durable(o->m, r->id, off, buf) == 0;
	}
	model_for_each_durable(o->m, durable_line, &w);
	if (w.seen != differ)
		printf("check for-each-durable-count %zu %zu\n", w.seen, differ);
	free(buf);
}

static void print_finding(void *ctx, const struct model_finding *f)
{
	(void)ctx;
	if ((unsigned)f->cls >= MODEL_FIND_MAX) {
		printf("finding class-%d site=%u count=%" PRIu64 "\n", f->cls,
			f->site, f->count);
		return;
	}
	printf("finding %s site=%u count=%" PRIu64, finding_names[f->cls],
		f->site, f->count);
	if (f->cls == MODEL_FIND_UNPERSISTED || f->cls == MODEL_FIND_NO_FENCE)
		printf(" lines=%" PRIu64, f->lines);
	printf("%s\n", f->guessed ? " guessed" : "");
}

/* ---- sequences ---- */

static void start_sequence(struct oracle *o, char *args)
{
	struct model_config *cfg = model_config_new();
	enum model_domain dom;
	char *save = NULL;
	for (char *kv = strtok_r(args, " \t\n", &save); kv != NULL;
			kv = strtok_r(NULL, " \t\n", &save)) {
		char *val = strchr(kv, '=');
		int rc = -EINVAL;
		if (val == NULL)
			die(o, "config: expected key=value");
		*val++ = '\0';
		if (strcmp(kv, "domain") == 0 && model_domain_parse(val, &dom) == 0)
			rc = model_config_set_domain(cfg, dom);
		else if (strcmp(kv, "line") == 0)
			rc = model_config_set_line(cfg, (uint32_t)atoi(val));
		else if (strcmp(kv, "sector") == 0)
			rc = model_config_set_sector(cfg, (uint32_t)atoi(val));
		else if (strcmp(kv, "clflush") == 0)
			rc = model_config_set_clflush_weak(cfg,
					strcmp(val, "weak") == 0);
		if (rc != 0)
			printf("error config %s=%s %d\n", kv, val, rc);
	}
	if (model_config_set_contents(cfg, true) != 0)
		die(o, "model_config_set_contents failed");
	o->m = model_new(cfg, pattern, NULL);
	model_config_delete(cfg);
	if (o->m == NULL)
		die(o, "model_new failed");
	o->nregions = 0;
	o->crashes = 0;
}

static void add_region(struct oracle *o, const char *args)
{
	unsigned id;
	uint64_t len;
	char dom_name[32];
	enum model_domain dom;
	if (sscanf(args, "%u %" SCNu64 " %31s", &id, &len, dom_name) != 3 ||
			model_domain_parse(dom_name, &dom) != 0 ||
			o->nregions == REGIONS_MAX)
		die(o, "bad region line");
	int rc = model_region_add(o->m, id, len, dom);
	if (rc != 0)
		printf("error region %u %d\n", id, rc);
	size_t i = o->nregions++;
	while (i > 0 && o->regions[i - 1].id > id) { /* keep sorted by id */
		o->regions[i] = o->regions[i - 1];
		i--;
	}
	o->regions[i] = (struct region){ id, len, model_region_line(o->m, id) };
	printf("region %u line=%u\n", id, o->regions[i].line);
}

static const struct {
	const char *name;
	enum model_ev kind;
	const char *fields; /* t tid, s site, r region, o off, l len, x hex */
} event_forms[] = {
	{ "store", MODEL_EV_STORE, "tsrolx" },
	{ "nt", MODEL_EV_NT_STORE, "tsrolx" },
	{ "movdir64b", MODEL_EV_MOVDIR64B, "tsrox" },
	{ "snapshot", MODEL_EV_SNAPSHOT, "trox" },
	{ "clwb", MODEL_EV_CLWB, "tsrol" },
	{ "clflushopt", MODEL_EV_CLFLUSHOPT, "tsrol" },
	{ "clflush", MODEL_EV_CLFLUSH, "tsrol" },
	{ "sfence", MODEL_EV_SFENCE, "t" },
	{ "mfence", MODEL_EV_MFENCE, "t" },
	{ "locked", MODEL_EV_LOCKED, "t" },
	{ "msync", MODEL_EV_MSYNC, "trol" },
	{ "fsync", MODEL_EV_FSYNC, "tr" },
	{ "shutdown", MODEL_EV_SHUTDOWN, "rol" },
	{ "outside", MODEL_EV_FLUSH_OUTSIDE, "tsol" },
};

/* event_field -- fill one field of ev from the word w */
static void event_field(struct oracle *o, struct model_event *ev, char f,
		const char *w)
{
	switch (f) {
	case 't': ev->tid = (uint32_t)strtoul(w, NULL, 0); break;
	case 's': ev->site = (uint32_t)strtoul(w, NULL, 0); break;
	case 'r':
		ev->region = strcmp(w, "all") == 0 ? MODEL_REGION_ALL :
			(uint32_t)strtoul(w, NULL, 0);
		break;
	case 'o': ev->off = strtoull(w, NULL, 0); break;
	case 'l': ev->len = strtoull(w, NULL, 0); break;
	case 'x':
		if (strcmp(w, "-") != 0) {
			size_t n = hex_decode(o, w);
			ev->data = o->data;
			if (ev->len == 0)
				ev->len = n;
		}
		break;
	default: abort();
	}
}

static void apply_event(struct oracle *o, char *line)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t\n", &save);
	size_t i, nforms = sizeof(event_forms) / sizeof(event_forms[0]);
	for (i = 0; i < nforms; i++)
		if (strcmp(name, event_forms[i].name) == 0)
			break;
	if (i == nforms)
		die(o, "unknown event");
	struct model_event ev = { .kind = event_forms[i].kind };
	if (ev.kind == MODEL_EV_MOVDIR64B)
		ev.len = 64;
	for (const char *f = event_forms[i].fields; *f; f++) {
		char *w = strtok_r(NULL, " \t\n", &save);
		if (w == NULL) {
			if (ev.kind == MODEL_EV_SHUTDOWN &&
					ev.region == MODEL_REGION_ALL) {
				ev.len = UINT64_MAX; /* `shutdown all` */
				break;
			}
			die(o, "missing field");
		}
		event_field(o, &ev, *f, w);
	}
	int rc = model_apply(o->m, &ev);
	if (rc != 0)
		printf("error %s %d\n", name, rc);
}

static void end_sequence(struct oracle *o)
{
	model_findings(o->m, print_finding, NULL);
	model_delete(o->m);
	o->m = NULL;
	hash_cache_reset();
	printf("end\n");
}

static void dispatch(struct oracle *o, char *line)
{
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return;
	if (strncmp(line, "seq ", 4) == 0) {
		/* flushed: if the model crashes, the last seq line names it */
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	if (strcmp(line, "end") == 0 || strncmp(line, "config", 6) == 0) {
		if (o->m != NULL && strcmp(line, "end") == 0)
			end_sequence(o);
		else if (o->m == NULL)
			start_sequence(o, line + 6);
		else
			die(o, "config inside a sequence");
		return;
	}
	if (o->m == NULL)
		die(o, "event before config");
	if (strncmp(line, "region ", 7) == 0)
		add_region(o, line + 7);
	else if (strcmp(line, "crash") == 0)
		crash(o);
	else
		apply_event(o, line);
}

int main(int argc, char **argv)
{
	struct oracle o = { .verbose = argc > 1 && strcmp(argv[1], "-v") == 0 };
	char *line = NULL;
	size_t cap = 0;
	crc_init();
	while (getline(&line, &cap, stdin) > 0) {
		o.lineno++;
		dispatch(&o, line);
	}
	if (o.m != NULL)
		end_sequence(&o);
	free(line);
	free(o.data);
	return 0;
}
