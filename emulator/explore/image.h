/* image.h -- a worker's image files, updated line by line (image.c) */
#ifndef PMEMU_XP_IMAGE_H
#define PMEMU_XP_IMAGE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "explore_common.h"
#include "linemap.h"
#include "media.h"

struct xp_base;   /* the durable image at the current point */
struct xp_base *xp_base_new(struct xp_media *md);
void xp_base_delete(struct xp_base *b);
/* re-reads the durable content of these lines from the model */
void xp_base_update(struct xp_base *b, const struct model *m,
		uint32_t region, uint64_t off);
/* the content of a line in the base image */
/* every durable line of the model (a fresh replay) */
void xp_base_load(struct xp_base *b, const struct model *m);
const uint8_t *xp_base_line(struct xp_base *b, uint32_t region,
		uint64_t off);

/* a line of a state that differs from the base */
struct xp_line_set {
	uint32_t region;
	uint64_t off;
	const uint8_t *content;
	bool poison;            /* left poisoned: a bad block (badblocks.h) */
};

struct xp_slot;
/* makes dir (created, removed at delete) with one file per region */
struct xp_slot *xp_slot_new(struct xp_base *b, const char *dir, char *err,
		size_t errlen);
void xp_slot_delete(struct xp_slot *s);
/* the files stay when the slot is deleted (pmemu replay -o DIR) */
void xp_slot_keep(struct xp_slot *s);
/* writes the lines that differ from the slot's last image, and its bad
 * blocks (the poisoned lines: badblocks.h); 0 or -errno */
int xp_slot_set(struct xp_slot *s, const struct xp_line_set *lines,
		size_t n);
/* after a check: notices what it wrote, so the next set restores it; the
 * base stops keeping what restoring the slot would need */
void xp_slot_after_check(struct xp_slot *s);
/* during or after a check, before after_check: the image of the last set
 * as it was written, however the base moved on since (a check that failed
 * in a child of the fork server runs again on it): nothing to do when the
 * check did not write it, else rebuilt; 0 or -errno */
int xp_slot_restore(struct xp_slot *s);
const char *xp_slot_dir(const struct xp_slot *s);
/* the image path {pmem} names: the file with one region, else the dir */
const char *xp_slot_pmem(const struct xp_slot *s);
uint64_t xp_slot_full_restores(const struct xp_slot *s);
/* the image hash of base + lines (a poisoned line apart from its bytes) */
struct xp_hash xp_base_hash(const struct xp_base *b);
struct xp_hash xp_state_hash(struct xp_base *b, const struct xp_line_set *l,
		size_t n);

#endif
