/* image_impl.h -- the base image shared by image_base.c (its lines, its
 * change log and the log's undo content) and image.c (the slots) */
#ifndef PMEMU_XP_IMAGE_IMPL_H
#define PMEMU_XP_IMAGE_IMPL_H 1

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* the unit a slot's files are compared and rewritten in (image_sync.c):
 * holds 64 lines of 64 bytes, one of 4096 */
#define XP_PAGE 4096u

struct xp_base_change {
	uint32_t region;
	uint64_t off;
	size_t undo;            /* where its previous content is (undo_at) */
};

struct xp_base {
	struct xp_media *md;
	struct xp_linemap *durable;   /* line -> content */
	struct xp_linemap *pages;     /* page -> its lines in durable, a
	                               * bit each (uintptr_t, bit i: line i) */
	struct xp_base_change *log;
	size_t nlog, caplog;
	struct xp_hash hash;
	/* the durable content each change of log[undo_from..] replaced,
	 * kept while a slot set before it may be rewound (xp_slot_restore) */
	uint8_t *undo;
	size_t nundo, capundo;
	size_t undo_from;             /* the first change with its content */
	size_t undo_shift;            /* bytes of undo dropped from the front */
	size_t *pins;                 /* a slot's seq while it may be rewound,
	                               * SIZE_MAX when not */
	size_t npins, cappins;
};

uint32_t xp_base_line_len(const struct xp_base *b, uint32_t region);
/* the lines of the page at page (XP_PAGE-aligned) that durable holds, bit
 * i for the line at page + i * line_len */
uint64_t xp_base_page_lines(const struct xp_base *b, uint32_t region,
		uint64_t page);
/* a pin for a new slot (SIZE_MAX: none yet) */
size_t xp_base_pin_new(struct xp_base *b);
/* the durable content of the line of change k before it, or NULL when
 * no pinned slot needed it any more */
const uint8_t *xp_base_undo(const struct xp_base *b, size_t k);

/* a slot's file of one region */
struct xp_slot_file {
	uint32_t region;
	int fd;
	uint64_t len;
	const uint8_t *map;     /* fd mapped read only, len bytes (or NULL) */
	int wd;                 /* its watch (image_watch.c), or -1 */
	char path[PATH_MAX];
};

/* a line over the base in the image a file must hold, or a line of the
 * file that may differ from it (content NULL) */
struct xp_sync_line {
	uint32_t region;
	uint64_t off;
	const uint8_t *content;
	size_t rank;            /* of two entries of a line, the lower's */
};

/* a slot's means to make its files hold an image (image_sync.c) */
struct xp_sync {
	struct xp_sync_line *over;    /* lines over the base */
	size_t nover, capover;
	struct xp_sync_line *changed; /* lines that may differ */
	size_t nchanged, capchanged;
	uint8_t *run;                 /* bytes to write at run_off */
	size_t nrun;
	uint64_t run_off;
	uint8_t *page;                /* a page of the image, built */
	uint8_t *have;                /* a page of the file, read */
};
void xp_sync_init(struct xp_sync *y);
void xp_sync_fini(struct xp_sync *y);
/* forgets the lines of the last sync */
void xp_sync_clear(struct xp_sync *y);
/* a line the image holds over the base, its content kept by the caller
 * until the sync; of two for one line, the lower rank's */
void xp_sync_over(struct xp_sync *y, uint32_t region, uint64_t off,
		const uint8_t *content, size_t rank);
/* a line of the files that may differ from the image */
void xp_sync_changed(struct xp_sync *y, uint32_t region, uint64_t off);
/* after the lines, before the syncs */
void xp_sync_ready(struct xp_sync *y);
/* the file holds the image: the base, the lines over it; every page
 * compared (after a check wrote it), or the changed lines only (a line
 * each that has no other change); 0 or -errno */
int xp_sync_file(struct xp_sync *y, struct xp_base *b,
		const struct xp_slot_file *f, bool every_page);

#endif
