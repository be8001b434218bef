/* media.h -- regions and their original (pristine) content (media.c) */
#ifndef PMEMU_XP_MEDIA_H
#define PMEMU_XP_MEDIA_H 1

#include <stddef.h>
#include <stdint.h>

#include "explore_common.h"
#include "linemap.h"
#include "model.h"
#include "trace.h"

struct xp_region {
	uint32_t id;
	enum model_domain domain;
	uint32_t line_len;
	uint64_t len;           /* length now (at the replay's position) */
	uint64_t initial_len;   /* at the REGION record: past it, zeros */
	char *media;            /* media path as recorded */
	char *source;           /* where we read it (after --pmem-dir) */
	char *file;             /* image file name in an image dir */
	int fd;                 /* source, read only; -1: reads zeros */
	const uint8_t *map;     /* fd mapped read only (xp_media_page) */
	uint64_t map_len;       /* its bytes that are media: up to
	                         * initial_len and the file's end */
	int mapped;             /* 0: not tried yet */
};

struct xp_media {
	struct xp_region *regions;
	size_t n;
	const char *pmem_dir;   /* relocation: read DIR/<basename> */
	struct xp_linemap *pristine; /* line -> uint8_t[line_len] */
	struct xp_linemap *base;     /* page -> uint8_t[4096]: BASE records */
	int error;              /* first read error (-errno) */
};
void xp_media_init(struct xp_media *md, const char *pmem_dir);
void xp_media_fini(struct xp_media *md);
/* adds or updates a region from a REGION record; 0 or -1 (message) */
int xp_media_region(struct xp_media *md, uint32_t id, enum model_domain d,
		uint64_t len, uint32_t line_len, const char *path, char *err,
		size_t errlen);
struct xp_region *xp_media_find(struct xp_media *md, uint32_t id);
/* whether a region of md is in the cxl domain */
bool xp_media_has_cxl(const struct xp_media *md);
/* a TRACE_REC_BASE record: the media's page before the run changed it */
void xp_media_base(struct xp_media *md, const struct trace_rec *rec);
/* the pristine content of a line (read once, cached) */
const uint8_t *xp_media_line(struct xp_media *md, uint32_t region,
		uint64_t off);
/* the pristine content of [page, page+len) (page 4096-aligned, len at
 * most 4096): a pointer into the media file's mapping or its BASE page
 * when it holds it, else buf filled (xp_media_read) */
const uint8_t *xp_media_page(struct xp_media *md, struct xp_region *r,
		uint64_t page, uint8_t *buf, uint32_t len);
/* model_media_read_fn over an xp_media */
void xp_media_read(void *ctx, uint32_t region, uint64_t off, uint8_t *buf,
		uint32_t len);

#endif
