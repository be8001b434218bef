/*
 * shim_join.c -- a process image started by exec joins the trace (or the
 * findings file) that an earlier image of the same run opened
 *
 * Images after exec (the program exec'ing itself, or a child it runs)
 * start fresh site, module and region tables, so their ids would collide
 * with the earlier images' in the shared file. Each joining image takes
 * the next instance index of the trace: under an flock of the file it
 * reads the PROCESS records of earlier joins (u32 pid, ppid, instance)
 * and appends its own; its ids then start at instance << 16 (sites),
 * << 10 (modules), << 8 (regions). A file the trace already names keeps
 * its region id, so the explorer sees one region per file across exec.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "real.h"
#include "shim_core.h"
#include "shim_events.h"
#include "shim_region.h"
#include "shim_site.h"

#define INSTANCE_MAX 255u /* explorer: site ids below 1 << 24 */

struct scan {
	uint32_t instance;      /* the highest index of an earlier join */
};

/* rec_seen -- one sealed meta record of the trace */
static void
rec_seen(void *ctx, const struct trace_scan_rec *sr)
{
	struct scan *sc = ctx;
	const uint8_t *b = sr->body;
	uint32_t blen = sr->body_len;
	if (sr->type == TRACE_REC_PROCESS && blen >= 12) {
		uint32_t idx;
		memcpy(&idx, b + 8, 4);
		if (idx > sc->instance)
			sc->instance = idx;
	} else if (sr->type == TRACE_REC_REGION && blen > 24) {
		uint32_t id;
		memcpy(&id, b, 4);
		const char *path = (const char *)b + 24;
		if (memchr(path, '\0', blen - 24) != NULL)
			shim_region_known(id, path);
	}
}

/* scan_trace -- every record so far, skipping those still being filled */
static void
scan_trace(int fd, struct scan *sc)
{
	struct trace_header h;
	if (REAL(pread)(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
			h.data_end <= h.header_len)
		return;
	uint8_t *base = REAL(mmap)(NULL, h.data_end, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return;
	trace_scan_meta(base, h.data_end, h.version, rec_seen, sc);
	REAL(munmap)(base, h.data_end);
}

int
shim_join(const char *path, bool owner, struct trace_writer **w)
{
	int ret = trace_writer_join(path, owner, w);
	if (ret != 0)
		return ret;
	int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) != 0)
		shim_fatal("%s: cannot join the trace", path);
	struct scan sc = { 0 };
	scan_trace(fd, &sc);
	uint32_t idx = sc.instance + 1;
	if (idx > INSTANCE_MAX)
		shim_fatal("%s: more than %u program images (exec) in "
			"one run", path, INSTANCE_MAX);
	uint32_t body[3] = { (uint32_t)getpid(), (uint32_t)getppid(), idx };
	(void)trace_append(*w, TRACE_REC_PROCESS, shim_tid(), 0, body,
		sizeof(body), NULL, 0);
	flock(fd, LOCK_UN);
	REAL(close)(fd);
	shim_site_set_base(idx << 16, idx << 10);
	shim_region_set_base(idx << 8);
	return 0;
}
