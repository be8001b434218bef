/*
 * reader.c -- reading a trace: whole records up to the first incomplete
 * one (a killed writer), one-line errors naming the offset otherwise
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

#include "trace.h"

struct trace_reader {
	const uint8_t *base;
	uint64_t map_len;
	uint64_t limit;         /* end of data: min(file size, data_end) */
	uint64_t pos;
	uint64_t good_end;
	bool ended;             /* END record seen */
	bool truncated;
	char path[1024];
	char err[1400];
};

static int
reader_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
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
	else if (h->version != TRACE_VERSION)
		why = "unsupported trace version at offset 8";
	else if (h->header_len != TRACE_HEADER_LEN)
		why = "corrupt header (header length) at offset 12";
	else if (h->line_len < 64 || h->line_len > 4096 ||
			(h->line_len & (h->line_len - 1)) || h->domain > 2)
		why = "corrupt header (line or domain) at offset 16";
	if (why) {
		const char *hint = h->version != TRACE_VERSION &&
			memcmp(h->magic, TRACE_MAGIC, 8) == 0 ?
			" (this pmemu reads version 1)" : "";
		munmap((void *)base, (size_t)st.st_size);
		return reader_fail(err, errlen, "trace %s: %s%s", path, why,
				hint);
	}
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		munmap((void *)base, (size_t)st.st_size);
		return reader_fail(err, errlen, "out of memory");
	}
	r->base = base;
	r->map_len = (uint64_t)st.st_size;
	r->limit = h->data_end && h->data_end < r->map_len ? h->data_end :
		r->map_len;
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
}

const struct trace_header *
trace_reader_header(const struct trace_reader *r)
{
	return (const struct trace_header *)r->base;
}

static int
corrupt(struct trace_reader *r, const char *what)
{
	snprintf(r->err, sizeof(r->err), "trace %s: corrupt record at offset %llu: %s",
			r->path, (unsigned long long)r->pos, what);
	return -1;
}

static bool
type_known(uint16_t t)
{
	return (t >= 1 && t < MODEL_EV_MAX) ||
		(t >= TRACE_REC_REGION && t <= TRACE_REC_BASE);
}

/* decode_event -- the model event of an event record */
static int
decode_event(struct trace_reader *r, struct trace_rec *rec)
{
	struct trace_ev_body b;
	if (rec->body_len < sizeof(b))
		return corrupt(r, "event body too short");
	memcpy(&b, rec->body, sizeof(b));
	rec->ev = (struct model_event){ .kind = (enum model_ev)rec->type,
		.tid = rec->tid, .site = rec->site, .region = b.region,
		.off = b.off, .len = b.len, .data = NULL };
	if (rec->flags & 1) {
		if (b.len > rec->body_len - sizeof(b))
			return corrupt(r, "event data shorter than its length");
		rec->ev.data = rec->body + sizeof(b);
	}
	return 0;
}

int
trace_next(struct trace_reader *r, struct trace_rec *rec)
{
	if (r->ended || r->truncated)
		return 0;
	if (r->pos + TRACE_REC_HDR_LEN > r->limit) {
		r->truncated = true;
		return 0;
	}
	struct trace_rec_hdr h;
	memcpy(&h, r->base + r->pos, sizeof(h));
	if (h.seal != TRACE_SEAL || r->pos + h.len > r->limit) {
		/* reserved but never sealed, or cut off: a killed writer */
		r->truncated = true;
		return 0;
	}
	if (h.len < TRACE_REC_HDR_LEN || h.len % 8)
		return corrupt(r, "bad length");
	struct trace_rec_hdr z = h;
	z.crc = 0;
	z.seal = 0;
	uint32_t crc = trace_crc32c(0, &z, sizeof(z));
	crc = trace_crc32c(crc, r->base + r->pos + TRACE_REC_HDR_LEN,
			h.len - TRACE_REC_HDR_LEN);
	if (crc != h.crc)
		return corrupt(r, "checksum mismatch");
	if (!type_known(h.type))
		return corrupt(r, "unknown record type");
	*rec = (struct trace_rec){ .type = h.type, .flags = h.flags,
		.tid = h.tid, .site = h.site, .file_off = r->pos,
		.body = r->base + r->pos + TRACE_REC_HDR_LEN,
		.body_len = h.len - TRACE_REC_HDR_LEN };
	if (h.type < MODEL_EV_MAX && decode_event(r, rec) != 0)
		return -1;
	r->pos += h.len;
	r->good_end = r->pos;
	if (h.type == TRACE_REC_END)
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
