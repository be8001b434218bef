/*
 * fuzz_trace.c -- the trace reader's fuzz target
 *
 *   fuzz_trace FILE...                   read each file as pmemu does
 *                                        (AFL++: fuzz_trace @@)
 *   fuzz_trace --mutate N --seed S DIR   N seeded mutations of the traces
 *                                        in DIR, each read in-process
 *
 * Reading a trace means what replay does with it: every record through
 * the reader and its decoder, regions and events into a content-mode
 * model, sites and modules into a symbolizer. A file may be refused (a
 * one-line message naming the offset) but never crash, hang or grow
 * memory: the address space is capped, and a mutated record gets its
 * checksum and seal made valid again most of the time so that forged
 * fields reach the decoder. docs/trace-format.md, "Fuzzing".
 */
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "compact.h"
#include "trace.h"
#if __has_include("symbolize.h")
#include "symbolize.h"
#define FUZZ_HAVE_SYMBOLIZER 1
#endif

#define FUZZ_MEMORY_LIMIT (1ull << 30)
#define FUZZ_FILE_MAX (1u << 20)

/* apply -- one decoded record into the model (and symbolizer) */
static void
apply(struct model *m, void *sym, const struct trace_rec *rec)
{
	const struct trace_region_info *g = &rec->u.region;
	if (rec->type < MODEL_EV_MAX)
		(void)model_apply(m, &rec->ev);
	else if (rec->type == TRACE_REC_REGION)
		(void)model_region_add(m, g->region, g->len,
				(enum model_domain)g->domain);
	else if (rec->type == TRACE_REC_RESIZE)
		(void)model_region_resize(m, g->region, g->len);
#ifdef FUZZ_HAVE_SYMBOLIZER
	else
		(void)symbolizer_add_record(sym, rec);
#else
	(void)sym;
#endif
}

static void
ignore_media(void *ctx, uint32_t region, uint64_t off, uint8_t *buf,
		uint32_t len)
{
	(void)ctx;
	(void)region;
	(void)off;
	memset(buf, 0, len);
}

/* read_trace -- 0 read (maybe truncated), 1 refused with a proper
 * message, -1 refused with a message that names no offset */
static int
read_trace(const char *path)
{
	char err[2048];
	struct trace_reader *r;
	if (trace_reader_open(path, &r, err, sizeof(err)) != 0)
		return strstr(err, "offset") || strstr(err, "regular file") ?
			1 : -1;
	const struct trace_header *h = trace_reader_header(r);
	struct model_config *cfg = model_config_new();
	(void)model_config_set_contents(cfg, true);
	(void)model_config_set_domain(cfg, (enum model_domain)h->domain);
	(void)model_config_set_line(cfg, h->line_len);
	struct model *m = model_new(cfg, ignore_media, NULL);
	model_config_delete(cfg);
	void *sym = NULL;
#ifdef FUZZ_HAVE_SYMBOLIZER
	sym = symbolizer_new();
#endif
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec)) == 1)
		if (m != NULL)
			apply(m, sym, &rec);
	int ret = 0;
	if (rc < 0) {
		const char *e = trace_reader_error(r);
		ret = strstr(e, path) && strstr(e, "at offset") ? 1 : -1;
		if (ret < 0)
			fprintf(stderr, "fuzz_trace: bad message: %s\n", e);
	}
#ifdef FUZZ_HAVE_SYMBOLIZER
	symbolizer_delete(sym);
#endif
	model_delete(m);
	trace_reader_close(r);
	return ret;
}

/* ---- the mutation loop ---- */

static uint64_t rng;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t
below(uint64_t n)
{
	return n ? next_rand() % n : 0;
}

/* reseal_v1 -- version-1 records from pos: valid checksums and seals */
static void
reseal_v1(uint8_t *buf, size_t len, uint64_t pos)
{
	while (pos + TRACE_REC_HDR_LEN <= len) {
		struct trace_rec_hdr h;
		memcpy(&h, buf + pos, sizeof(h));
		if (h.len < TRACE_REC_HDR_LEN || h.len % 8 || h.len > len - pos)
			break;
		h.crc = 0;
		h.seal = 0;
		memcpy(buf + pos, &h, sizeof(h));
		h.crc = trace_crc32c(0, buf + pos, h.len);
		h.seal = TRACE_SEAL;
		memcpy(buf + pos, &h, sizeof(h));
		pos += h.len;
	}
}

/* reseal_v2 -- the same for version-2 records */
static void
reseal_v2(uint8_t *buf, size_t len, uint64_t pos)
{
	uint64_t blen;
	size_t vl;
	while (pos + TRACE_V2_FIXED < len && (vl = trace_varint_get(buf + pos +
			TRACE_V2_FIXED, buf + len, &blen)) != 0 &&
			blen < len - pos) {
		uint64_t total = (TRACE_V2_FIXED + vl + blen + 3) & ~3ull;
		if (total > len - pos)
			break;
		uint32_t seal = trace_v2_seal(buf + pos + 4, total - 4);
		memcpy(buf + pos, &seal, 4);
		pos += total;
	}
}

/* reseal -- every record the lengths lead to gets a valid checksum and
 * seal, and the header's data_end the file's length */
static void
reseal(uint8_t *buf, size_t len)
{
	uint32_t version = 0;
	if (len >= TRACE_HEADER_LEN)
		memcpy(&version, buf + offsetof(struct trace_header, version), 4);
	if (version >= 2)
		reseal_v2(buf, len, TRACE_HEADER_LEN);
	else
		reseal_v1(buf, len, TRACE_HEADER_LEN);
	uint64_t end = len;
	if (len >= TRACE_HEADER_LEN)
		memcpy(buf + offsetof(struct trace_header, data_end), &end, 8);
}

static void
mutate(uint8_t *buf, size_t *len)
{
	static const uint64_t values[] = { 0, 1, 8, 64, 4096, 0xfffffff8u,
		0xffffffffu, 1u << 24, 1ull << 38, 1ull << 40, ~0ull,
		~0ull - 4095, 0x80000000u };
	size_t n = *len;
	uint64_t v = values[below(sizeof(values) / sizeof(values[0]))];
	size_t at = (size_t)below(n);
	switch (below(6)) {
	case 0:
		buf[at] ^= (uint8_t)(1u << below(8));
		break;
	case 1:
		buf[at] = (uint8_t)next_rand();
		break;
	case 2:
		if (at + 4 <= n)
			memcpy(buf + (at & ~3u), &v, 4);
		break;
	case 3:
		if ((at & ~7u) + 8 <= n)
			memcpy(buf + (at & ~7u), &v, 8);
		break;
	case 4:
		*len = TRACE_HEADER_LEN / 2 + (size_t)below(n);
		if (*len > n)
			*len = n;
		break;
	default: { /* a chunk copied over another place (records spliced) */
		size_t from = (size_t)below(n), k = (size_t)below(256);
		if (from + k <= n && at + k <= n)
			memmove(buf + at, buf + from, k);
		break;
	}
	}
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int
load_corpus(const char *dir, uint8_t **seeds, size_t *lens, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	char path[4096];
	while (d && (e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		seeds[n] = malloc(FUZZ_FILE_MAX);
		lens[n] = seeds[n] ? slurp(path, seeds[n], FUZZ_FILE_MAX) : 0;
		if (lens[n] == 0 || read_trace(path) != 0) {
			fprintf(stderr, "fuzz_trace: seed %s: not a valid "
					"trace\n", path);
			return -1;
		}
		n++;
	}
	if (d)
		closedir(d);
	return (int)n;
}

static int
mutation_loop(unsigned long count, uint64_t seed, const char *dir)
{
	uint8_t *seeds[64], *buf = malloc(FUZZ_FILE_MAX);
	size_t lens[64];
	int nseeds = load_corpus(dir, seeds, lens, 64);
	if (nseeds <= 0 || buf == NULL) {
		fprintf(stderr, "fuzz_trace: no seeds in %s\n", dir);
		return 2;
	}
	char path[] = "/tmp/fuzz_trace.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 2;
	close(fd);
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	unsigned long refused = 0;
	int rc = 0;
	for (unsigned long i = 0; i < count && rc == 0; i++) {
		size_t s = (size_t)below((uint64_t)nseeds), len = lens[s];
		memcpy(buf, seeds[s], len);
		for (uint64_t k = 1 + below(4); k > 0 && len > 0; k--)
			mutate(buf, &len);
		if (below(4) != 0)
			reseal(buf, len);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f)) {
			rc = 2;
			break;
		}
		int got = read_trace(path);
		refused += got == 1;
		if (got < 0) {
			fprintf(stderr, "fuzz_trace: mutation %lu (seed %llu) "
					"kept in %s.bad\n", i,
					(unsigned long long)seed, path);
			char bad[64];
			snprintf(bad, sizeof(bad), "%s.bad", path);
			rename(path, bad);
			rc = 1;
		}
	}
	unlink(path);
	printf("fuzz_trace: %lu mutations of %d seeds, %lu refused\n", count,
			nseeds, refused);
	for (int i = 0; i < nseeds; i++)
		free(seeds[i]);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct rlimit lim = { FUZZ_MEMORY_LIMIT, FUZZ_MEMORY_LIMIT };
	setrlimit(RLIMIT_AS, &lim);
	if (argc == 6 && strcmp(argv[1], "--mutate") == 0 &&
			strcmp(argv[3], "--seed") == 0)
		return mutation_loop(strtoul(argv[2], NULL, 10),
				strtoull(argv[4], NULL, 10), argv[5]);
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: fuzz_trace FILE...\n"
				"       fuzz_trace --mutate N --seed S DIR\n");
		return 2;
	}
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (read_trace(argv[i]) < 0)
			rc = 1;
	return rc;
}
