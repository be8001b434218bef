/*
 * reader.c -- reading a trace: whole records up to the first incomplete
 * one (a killed writer), one-line errors naming the offset otherwise
 *
 * Truncation or corruption (docs/trace-format.md): the writer seals a
 * record by storing TRACE_SEAL last, and only ever leaves a seal of 0
 * (reserved, not yet filled) or TRACE_SEAL; it reserves below data_end.
 * So a record is a truncation point only when it was never sealed and the
 * trace has no END record, or when the file is shorter than data_end (cut
 * off) and the record reaches past its end. Any other bad frame (another
 * seal, a length past data_end, a checksum) is corruption.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "decode.h"
#include "reader_priv.h"

static int
reader_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* record_crc -- the checksum of the record at p, as the writer made it */
static uint32_t
record_crc(const uint8_t *p, const struct trace_rec_hdr *h)
{
	struct trace_rec_hdr z = *h;
	z.crc = 0;
	z.seal = 0;
	uint32_t crc = trace_crc32c(0, &z, sizeof(z));
	return trace_crc32c(crc, p + sizeof(z), h->len - sizeof(z));
}

/* ends_with_end -- the last record is a sealed END with its checksum:
 * the program ended, so no record before it may be missing */
static bool
ends_with_end(const struct trace_reader *r)
{
	if (r->version >= 2)
		return trace_v2_ends_with_end(r);
	uint32_t len = (TRACE_REC_HDR_LEN + 8 + 7) & ~7u;
	if (r->limit < TRACE_HEADER_LEN + len)
		return false;
	const uint8_t *p = r->base + r->limit - len;
	struct trace_rec_hdr h;
	memcpy(&h, p, sizeof(h));
	return h.len == len && h.type == TRACE_REC_END &&
		h.seal == TRACE_SEAL && record_crc(p, &h) == h.crc;
}

int
trace_reader_open(const char *path, struct trace_reader **rp, char *err,
		size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return reader_fail(err, errlen, "trace %s: %s", path,
				strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return reader_fail(err, errlen, "trace %s: not a regular file",
				path);
	}
	if ((uint64_t)st.st_size < TRACE_HEADER_LEN) {
		close(fd);
		return reader_fail(err, errlen,
				"trace %s: not a pmemu trace (%lld bytes, shorter than its header) at offset 0",
				path, (long long)st.st_size);
	}
	const uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ,
			MAP_PRIVATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return reader_fail(err, errlen, "trace %s: %s", path,
				strerror(errno));
	const struct trace_header *h = (const void *)base;
	const char *why = NULL;
	if (memcmp(h->magic, TRACE_MAGIC, 8) != 0)
		why = "not a pmemu trace (bad magic) at offset 0";
	else if (h->version < 1 || h->version > TRACE_VERSION)
		why = "unsupported trace version at offset 8";
	else if (h->header_len != TRACE_HEADER_LEN)
		why = "corrupt header (header length) at offset 12";
	else if (h->line_len < 64 || h->line_len > 4096 ||
			(h->line_len & (h->line_len - 1)) ||
			h->domain >= MODEL_DOMAINS)
		why = "corrupt header (line or domain) at offset 16";
	else if (h->data_end != 0 && h->data_end < TRACE_HEADER_LEN)
		why = "corrupt header (data end) at offset 32";
	if (why) {
		const char *hint = (h->version < 1 ||
			h->version > TRACE_VERSION) &&
			memcmp(h->magic, TRACE_MAGIC, 8) == 0 ?
			" (this pmemu reads versions 1 and 2)" : "";
		munmap((void *)base, (size_t)st.st_size);
		return reader_fail(err, errlen, "trace %s: %s%s", path, why,
				hint);
	}
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->dec = trace_decoder_new()) == NULL) {
		free(r);
		munmap((void *)base, (size_t)st.st_size);
		return reader_fail(err, errlen, "out of memory");
	}
	r->base = base;
	r->version = h->version;
	r->map_len = (uint64_t)st.st_size;
	r->limit = h->data_end && h->data_end < r->map_len ? h->data_end :
		r->map_len;
	r->cut = h->data_end > r->map_len;
	r->end_at_tail = ends_with_end(r);
	snprintf(r->path, sizeof(r->path), "%s", path);
	trace_rewind(r);
	*rp = r;
	return 0;
}

void
trace_rewind(struct trace_reader *r)
{
	r->pos = TRACE_HEADER_LEN;
	r->good_end = TRACE_HEADER_LEN;
	r->ended = false;
	r->truncated = false;
	r->err[0] = '\0';
	trace_decoder_reset(r->dec);
	trace_v2_slots_reset(r);
}

const struct trace_header *
trace_reader_header(const struct trace_reader *r)
{
	return (const struct trace_header *)r->base;
}

/* the one-line message of a corrupt record, naming file and offset */
int
trace_reader_corrupt(struct trace_reader *r, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err),
			"trace %s: corrupt record at offset %llu: %s",
			r->path, (unsigned long long)r->pos, what);
	return -1;
}

/* the usable trace ends here: a killed writer's tail */
int
trace_reader_stop(struct trace_reader *r)
{
	r->truncated = true;
	return 0;
}

bool
trace_type_known(uint16_t t)
{
	return (t >= 1 && t < MODEL_EV_MAX) ||
		(t >= TRACE_REC_REGION && t <= TRACE_REC_BASE);
}

/* frame -- the record header at pos: 1 whole and sealed, 0 the end (a
 * killed writer's tail), -1 corrupt */
static int
frame(struct trace_reader *r, struct trace_rec_hdr *h)
{
	uint64_t left = r->limit - r->pos;
	if (left == 0)
		return trace_reader_stop(r);
	if (left < TRACE_REC_HDR_LEN)
		return r->cut ? trace_reader_stop(r) : trace_reader_corrupt(r,
				"the data ends %llu bytes into a record header",
				(unsigned long long)left);
	memcpy(h, r->base + r->pos, sizeof(*h));
	if (h->seal == 0 && !r->end_at_tail)
		return trace_reader_stop(r); /* reserved, never sealed: killed */
	if (h->seal == 0)
		return trace_reader_corrupt(r, "never sealed, yet the trace "
				"ends with an end record");
	if (h->seal != TRACE_SEAL)
		return trace_reader_corrupt(r, "bad seal 0x%08x", h->seal);
	if (h->len < TRACE_REC_HDR_LEN || h->len % 8)
		return trace_reader_corrupt(r, "bad length %u", h->len);
	if (h->len > left)
		return r->cut ? trace_reader_stop(r) : trace_reader_corrupt(r,
				"bad length %u: past the end of the data (%llu "
				"bytes left)", h->len, (unsigned long long)left);
	if (record_crc(r->base + r->pos, h) != h->crc)
		return trace_reader_corrupt(r, "checksum mismatch");
	if (!trace_type_known(h->type))
		return trace_reader_corrupt(r, "unknown record type %u", h->type);
	return 1;
}

/* frame_v1 -- the version-1 record at pos into rec: 1, 0, -1 (frame) */
static int
frame_v1(struct trace_reader *r, struct trace_rec *rec, uint32_t *len)
{
	struct trace_rec_hdr h;
	int rc = frame(r, &h);
	if (rc <= 0)
		return rc;
	*rec = (struct trace_rec){ .type = h.type, .flags = h.flags,
		.tid = h.tid, .site = h.site, .file_off = r->pos,
		.body = r->base + r->pos + TRACE_REC_HDR_LEN,
		.body_len = h.len - TRACE_REC_HDR_LEN };
	*len = h.len;
	return 1;
}

int
trace_next(struct trace_reader *r, struct trace_rec *rec)
{
	if (r->ended || r->truncated)
		return 0;
	uint32_t len = 0;
	int decode = TRACE_V2_DECODE_BODY;
	int rc = r->version >= 2 ? trace_v2_frame(r, rec, &len, &decode) :
		frame_v1(r, rec, &len);
	if (rc <= 0)
		return rc;
	const char *why = decode == TRACE_V2_DECODE_EVENT ?
		trace_decode_event_fields(r->dec, rec) :
		decode == TRACE_V2_DECODE_ZERO_BASE ?
		trace_decode_zero_base(r->dec, rec) : trace_decode(r->dec, rec);
	if (why != NULL) {
		snprintf(r->err, sizeof(r->err), "trace %s: invalid %s record "
				"at offset %llu: %s", r->path,
				trace_rec_name(rec->type),
				(unsigned long long)r->pos, why);
		return -1;
	}
	r->pos += len;
	r->good_end = r->pos;
	if (rec->type == TRACE_REC_END)
		r->ended = true;
	return 1;
}

bool
trace_reader_truncated(const struct trace_reader *r)
{
	return r->truncated;
}

uint64_t
trace_reader_good_end(const struct trace_reader *r)
{
	return r->good_end;
}

const char *
trace_reader_error(const struct trace_reader *r)
{
	return r->err;
}

void
trace_reader_close(struct trace_reader *r)
{
	if (r == NULL)
		return;
	munmap((void *)r->base, r->map_len);
	trace_decoder_delete(r->dec);
	free(r->slots);
	free(r);
}

const char *
trace_rec_name(uint16_t type)
{
	static const char *const meta[] = { "region", "resize", "marker",
		"site", "site-src", "module", "note", "process", "end",
		"finding", "base" };
	if (type >= 1 && type < MODEL_EV_MAX)
		return model_ev_name((enum model_ev)type);
	if (type >= TRACE_REC_REGION && type <= TRACE_REC_BASE)
		return meta[type - TRACE_REC_REGION];
	return "?";
}
