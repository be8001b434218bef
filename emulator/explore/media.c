/* media.c -- the regions of a trace and their original media content
 *
 * The pristine content of a line is what the media held before the traced
 * run touched it; the model asks for it once per line (model_media_read_fn)
 * and the images start from it. It is read from the media file the REGION
 * record names, or from <--pmem-dir>/<basename> when the trace was recorded
 * elsewhere (or when `pmemu explore -- PROG` copied the pmem dir before the
 * run). Bytes past the region's length at its REGION record read as zeros:
 * the run grew the file (ftruncate), so they were zeros before it, whatever
 * the file holds now. The files are opened read only: never modified.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linemap.h"
#include "media.h"
#include "report.h"
#include "xalloc.h"

#define BASE_PAGE TRACE_BASE_PAGE

void
xp_media_init(struct xp_media *md, const char *pmem_dir)
{
	memset(md, 0, sizeof(*md));
	md->pmem_dir = pmem_dir;
	md->pristine = xp_linemap_new();
	md->base = xp_linemap_new();
}

/* xp_media_base -- the shim recorded a page's content before the run
 * first changed it: it wins over the media file, which now holds what
 * became durable (docs/trace-format.md, `base`) */
void
xp_media_base(struct xp_media *md, const struct trace_rec *rec)
{
	const struct trace_base_info *b = &rec->u.base; /* validated */
	void **slot = xp_linemap_get(md->base, b->region, b->off);
	if (*slot != NULL)
		return; /* the first record of a page is the original */
	uint8_t *page = xcalloc(1, BASE_PAGE, "xp_media_base: page");
	memcpy(page, b->data, b->len);
	*slot = page;
}

static void
free_line(void *ctx, uint32_t region, uint64_t off, void *value)
{
	(void)ctx;
	(void)region;
	(void)off;
	free(value);
}

void
xp_media_fini(struct xp_media *md)
{
	for (size_t i = 0; i < md->n; i++) {
		struct xp_region *r = &md->regions[i];
		if (r->map != NULL)
			munmap((void *)r->map, r->map_len);
		if (r->fd >= 0)
			close(r->fd);
		free(r->media);
		free(r->source);
		free(r->file);
	}
	free(md->regions);
	if (md->pristine) {
		xp_linemap_each(md->pristine, free_line, NULL);
		xp_linemap_delete(md->pristine);
	}
	if (md->base) {
		xp_linemap_each(md->base, free_line, NULL);
		xp_linemap_delete(md->base);
	}
	memset(md, 0, sizeof(*md));
}

struct xp_region *
xp_media_find(struct xp_media *md, uint32_t id)
{
	for (size_t i = 0; i < md->n; i++)
		if (md->regions[i].id == id)
			return &md->regions[i];
	return NULL;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* image_name -- the basename, made unique among the regions */
static char *
image_name(const struct xp_media *md, const char *path, uint32_t id)
{
	const char *b = base_name(path);
	char *name;
	if (*b == '\0')
		b = "region";
	for (size_t i = 0; i < md->n; i++)
		if (strcmp(md->regions[i].file, b) == 0) {
			name = xasprintf("a region name", "%s.%u", b, id);
			return name;
		}
	return xp_strdup(b);
}

bool
xp_media_has_cxl(const struct xp_media *md)
{
	for (size_t k = 0; k < md->n; k++)
		if (md->regions[k].domain == MODEL_DOMAIN_CXL)
			return true;
	return false;
}

int
xp_media_region(struct xp_media *md, uint32_t id, enum model_domain d,
		uint64_t len, uint32_t line_len, const char *path, char *err,
		size_t errlen)
{
	struct xp_region *r = xp_media_find(md, id);
	if (r != NULL) { /* re-registered (mapped again): keep the first */
		if (len > r->len)
			r->len = len;
		return 0;
	}
	md->regions = xrealloc(md->regions, (md->n + 1) * sizeof(*r),
			"xp_media_region: md->regions");
	r = &md->regions[md->n];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->domain = d;
	r->line_len = line_len;
	r->len = len;
	r->initial_len = len;
	r->media = xp_strdup(path);
	if (md->pmem_dir != NULL) {
		r->source = xasprintf("a media path", "%s/%s", md->pmem_dir,
				base_name(path));
	} else {
		r->source = xp_strdup(path);
	}
	r->file = image_name(md, path, id);
	r->fd = open(r->source, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 && errno != ENOENT) {
		snprintf(err, errlen, "media file %s: %s", r->source,
				strerror(errno));
		return -1;
	}
	md->n++;
	return 0;
}

/* read_pristine -- the original bytes of [off, off+len), zeros past EOF */
static void
read_file(struct xp_media *md, const struct xp_region *r, uint64_t off,
		uint8_t *buf, uint32_t len);

static void
read_pristine(struct xp_media *md, const struct xp_region *r, uint64_t off,
		uint8_t *buf, uint32_t len)
{
	while (len > 0) {
		uint64_t page = off / BASE_PAGE * BASE_PAGE;
		uint32_t n = (uint32_t)(page + BASE_PAGE - off);
		if (n > len)
			n = len;
		void **slot = r ? xp_linemap_find(md->base, r->id, page) : NULL;
		if (slot != NULL && *slot != NULL)
			memcpy(buf, (uint8_t *)*slot + (off - page), n);
		else
			read_file(md, r, off, buf, n);
		off += n;
		buf += n;
		len -= n;
	}
}

static void
read_file(struct xp_media *md, const struct xp_region *r, uint64_t off,
		uint8_t *buf, uint32_t len)
{
	memset(buf, 0, len);
	if (r == NULL || r->fd < 0 || off >= r->initial_len)
		return;
	if (off + len > r->initial_len)
		len = (uint32_t)(r->initial_len - off);
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(r->fd, buf + done, len - done,
				(off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && md->error == 0)
			md->error = -errno;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
}

const uint8_t *
xp_media_line(struct xp_media *md, uint32_t region, uint64_t off)
{
	void **slot = xp_linemap_get(md->pristine, region, off);
	if (*slot == NULL) {
		struct xp_region *r = xp_media_find(md, region);
		uint32_t len = r ? r->line_len : 64;
		uint8_t *buf = xmalloc(len, "xp_media_line: buf");
		read_pristine(md, r, off, buf, len);
		*slot = buf;
	}
	return *slot;
}

/* map_media -- the media file mapped read only, as far as it is media:
 * its bytes up to initial_len (past it: zeros) and its end */
static void
map_media(struct xp_region *r)
{
	r->mapped = 1;
	struct stat st;
	if (r->fd < 0 || fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	uint64_t len = (uint64_t)st.st_size < r->initial_len ?
		(uint64_t)st.st_size : r->initial_len;
	void *p = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, r->fd, 0) :
		MAP_FAILED;
	if (p == MAP_FAILED)
		return; /* read page by page */
	r->map = p;
	r->map_len = len;
}

const uint8_t *
xp_media_page(struct xp_media *md, struct xp_region *r, uint64_t page,
		uint8_t *buf, uint32_t len)
{
	void **slot = xp_linemap_find(md->base, r->id, page);
	if (slot != NULL && *slot != NULL)
		return *slot;
	if (!r->mapped)
		map_media(r);
	if (page + len <= r->map_len)
		return r->map + page;
	read_pristine(md, r, page, buf, len);
	return buf;
}

void
xp_media_read(void *ctx, uint32_t region, uint64_t off, uint8_t *buf,
		uint32_t len)
{
	struct xp_media *md = ctx;
	struct xp_region *r = xp_media_find(md, region);
	if (r != NULL && len == r->line_len && off % len == 0) {
		memcpy(buf, xp_media_line(md, region, off), len);
		return;
	}
	read_pristine(md, r, off, buf, len);
}
