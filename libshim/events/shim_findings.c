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
#include "shim_session.h"
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

/* the regions whose view another process of the run still holds */
struct kept {
	uint32_t ids[256];
	uint32_t n;
};

static bool
is_kept(const struct kept *k, uint32_t id)
{
	for (uint32_t i = 0; i < k->n; i++)
		if (k->ids[i] == id)
			return true;
	return false;
}

/* region_shutdown -- the media gets the whole view (clean power-down),
 * unless another process of the run still maps it: its own exit will */
static void
region_shutdown(struct shim_region *r, void *ctx)
{
	struct kept *k = ctx;
	if (shim_view_shared(r)) {
		if (k->n < sizeof(k->ids) / sizeof(k->ids[0]))
			k->ids[k->n++] = r->id;
		return;
	}
	shim_region_resized(r);
	shim_snapshot_unsynced(r, 0, r->len);
	shim_media_sync(r, 0, r->len);
}

/* region_end -- the clean shutdown of one region no other process holds */
static void
region_end(struct shim_region *r, void *ctx)
{
	if (is_kept(ctx, r->id))
		return;
	struct model_event ev = { .kind = MODEL_EV_SHUTDOWN, .tid = shim_tid(),
		.region = r->id, .off = 0, .len = r->len };
	shim_emit_locked(&ev);
}

/* media_end -- the clean shutdown of the regions this image ends (all,
 * unless another process of the run holds a view); under the run's
 * table lock, so that no process makes a view of a file from its media
 * while the media is being written */
static void
media_end(const struct model_event *all)
{
	struct kept k = { .n = 0 };
	shim_session_lock();
	shim_region_for_each(region_shutdown, &k);
	if (k.n == 0) {
		shim_emit_locked(all);
	} else {
		shim_region_for_each(region_end, &k);
		if (shim_model() != NULL) /* this image's findings */
			(void)model_apply(shim_model(), all);
	}
	shim_session_leave();
	shim_session_unlock();
	shim_pending_drain_all();
}

/* image_end -- this image's mappings vanish (exit, exec): a clean
 * shutdown, then its findings; lock held */
static void
image_end(bool exec)
{
	shim_dirty_settle_all();
	shim_shared_exit(exec);
	shim_restored_clean(MODEL_REGION_ALL, 0, UINT64_MAX >> 1);
	struct model_event ev = { .kind = MODEL_EV_SHUTDOWN, .tid = shim_tid(),
		.region = MODEL_REGION_ALL };
	if (shim_is_forked_child()) {
		/* findings of the child only: its parent owns the media */
		if (shim_model() != NULL)
			(void)model_apply(shim_model(), &ev);
		shim_session_lock();
		shim_session_leave();
		shim_session_unlock();
	} else {
		media_end(&ev);
	}
	shim_findings_write(TRACE_FINDING_AT_EXIT);
}

void
shim_shutdown(int status)
{
	(void)status;
	shim_lock();
	image_end(false);
	shim_poison_save();
	if (!shim_is_forked_child())
		shim_writer_close(exit_status);
	shim_unlock();
}

void
shim_shutdown_exec(void)
{
	shim_lock();
	image_end(true);
	shim_poison_save();
	shim_unlock();
}
