/*
 * shim_restored.c -- value-restoring stores at a clean shutdown: a line
 * whose stores put back the content its media holds (a lock word
 * 0 -> 1 -> 0), with no write-back in flight, loses nothing to a crash
 * at that moment, so its stores are not "unpersisted" (docs/model.md,
 * "Value-restoring stores"). Plain builds never see such stores at the
 * end (the page's twin shows no change); this makes plugin builds, whose
 * stores are traced one by one, say the same.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_region.h"
#include "shim_restored.h"

/* line_restored -- the view of r's line at off equals its media */
static bool
line_restored(const struct shim_region *r, uint64_t off)
{
	uint8_t view[SHIM_PAGE_LEN];
	uint32_t len = r->line_len;
	if (len > sizeof(view) || r->view_fd < 0 ||
			off + len > r->media_map_len)
		return false;
	return REAL(pread)(r->view_fd, view, len, (off_t)off) == (ssize_t)len &&
		memcmp(view, r->media_map + off, len) == 0;
}

struct restored_ctx {
	const struct model_open_line *open;
	size_t n;
	uint32_t region;       /* or MODEL_REGION_ALL */
	uint64_t off, end;
};

static void
restored_region(struct shim_region *r, void *ctx)
{
	const struct restored_ctx *c = ctx;
	if (c->region != MODEL_REGION_ALL && c->region != r->id)
		return;
	for (size_t i = 0; i < c->n; i++) {
		const struct model_open_line *o = &c->open[i];
		if (o->region != r->id || o->in_flight ||
				o->off + r->line_len <= c->off ||
				o->off >= c->end || !line_restored(r, o->off))
			continue;
		struct model_event ev = { .kind = MODEL_EV_SET_CLEAN,
			.tid = shim_tid(), .region = r->id, .off = o->off,
			.len = r->line_len };
		(void)model_apply(shim_model(), &ev);
	}
}

void
shim_restored_clean(uint32_t region, uint64_t off, uint64_t len)
{
	if (shim_model() == NULL)
		return;
	size_t n = model_open_lines(shim_model(), NULL, 0);
	if (n == 0)
		return;
	struct model_open_line *open = calloc(n, sizeof(*open));
	if (open == NULL)
		return;
	n = model_open_lines(shim_model(), open, n);
	struct restored_ctx c = { open, n, region, off, off + len };
	shim_region_for_each(restored_region, &c);
	free(open);
}
