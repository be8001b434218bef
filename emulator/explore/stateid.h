/* stateid.h -- stable state ids: format and parse (stateid.c) */
#ifndef PMEMU_XP_STATEID_H
#define PMEMU_XP_STATEID_H 1

#include <stddef.h>
#include <stdint.h>

#include "explore_common.h"
#include "model.h"

struct xp_choice {
	uint32_t region;
	uint64_t off;
	struct model_outcome out;
};
/* "<point>" or "<point>:<r>.<off hex>=<code>,..." (non-LOST only, in
 * (region, off) order); returns a malloc'd string */
char *xp_state_id(uint64_t point, const struct xp_choice *c, size_t n);
/* parses an id; *c malloc'd; 0 or -1 */
int xp_state_parse(const char *id, uint64_t *point, struct xp_choice **c,
		size_t *n);

#endif
