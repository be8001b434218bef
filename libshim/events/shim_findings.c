/*
 * shim_findings.c -- the end of a run: every store settled, a clean
 * shutdown (MODEL.md: everything reaches the media, and what was not yet
 * durable is still a finding), the model's findings written for
 * `pmemu run` to print
 */
#include <string.h>

#include "shim_core.h"
#include "shim_dirty.h"
#include "shim_file.h"
#include "shim_pending.h"
#include "shim_poison.h"
#include "shim_region.h"
#include "shim_restored.h"
#include "shim_shared.h"
#include "shim_site.h"
#include "shim_sync.h"
#include "shim_view.h"

static int exit_status;

void
shim_set_exit_status(int status)
{
	exit_status = status;
}

static void
finding_record(void *ctx, const struct model_finding *f)
{
	const enum trace_finding_when *when = ctx;
	struct trace_finding_body b = { .cls = f->cls, .site = f->site,
		.count = f->count, .lines = f->lines, .region = f->region,
		.related = f->related, .off = f->off, .when = *when,
		.flags = f->guessed ? TRACE_FINDING_F_GUESSED : 0 };
	shim_record(TRACE_REC_FINDING, f->site, &b, sizeof(b), NULL, 0);
}

/* shim_findings_write -- the findings new since the last write, each
 * written once: at the crash point that found it or at the end */
void
shim_findings_write(enum trace_finding_when when)
{
	/* the sites the findings name must be in the file first */
	shim_site_flush_pending();
	if (shim_model() != NULL && shim_trace_writer() != NULL)
		(void)model_findings_take(shim_model(), finding_record, &when);
}

/* region_shutdown -- the media gets the whole view (clean power-down) */
static void
region_shutdown(struct shim_region *r, void *ctx)
{
	(void)ctx;
	shim_region_resized(r);
	shim_snapshot_unsynced(r, 0, r->len);
	shim_media_sync(r, 0, r->len);
}

/* image_end -- this image's mappings vanish (exit, exec): a clean
 * shutdown, then its findings; lock held */
static void
image_end(void)
{
	shim_dirty_settle_all();
	shim_shared_exit();
	shim_restored_clean(MODEL_REGION_ALL, 0, UINT64_MAX >> 1);
	bool child = shim_is_forked_child();
	struct model_event ev = { .kind = MODEL_EV_SHUTDOWN, .tid = shim_tid(),
		.region = MODEL_REGION_ALL };
	if (child) {
		/* findings of the child only: its parent owns the media */
		if (shim_model() != NULL)
			(void)model_apply(shim_model(), &ev);
	} else {
		shim_region_for_each(region_shutdown, NULL);
		shim_emit_locked(&ev);
		shim_pending_drain_all();
	}
	shim_findings_write(TRACE_FINDING_AT_EXIT);
}

void
shim_shutdown(int status)
{
	(void)status;
	shim_lock();
	image_end();
	shim_poison_save();
	if (!shim_is_forked_child())
		shim_writer_close(exit_status);
	shim_unlock();
}

void
shim_shutdown_exec(void)
{
	shim_lock();
	image_end();
	shim_poison_save();
	shim_unlock();
}
