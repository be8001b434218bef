/* replay_state.c -- pmemu replay: one crash state's image, byte for byte
 *
 * The id names the crash point and the outcome of every line that is not
 * lost; the model must offer each named outcome at that point (with every
 * strategy, poison too), so an id can only name a state x86 can leave. A
 * poisoned line's bytes are the pattern, and the image's bad-block list
 * (DIR.pmemu/badblocks, badblocks.c) names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "replay.h"
#include "stateid.h"
#include "states.h"
#include "usc.h"
#include "xalloc.h"

/* state_lines -- the content of every named line; 0 or -1 (message) */
static int
state_lines(struct xp_openset *os, const struct xp_choice *c, size_t n,
		struct xp_line_set *lines, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct xp_open *o = NULL;
		for (size_t j = 0; j < os->n && o == NULL; j++)
			if (os->v[j].line.region == c[i].region &&
					os->v[j].line.off == c[i].off)
				o = &os->v[j];
		long k = o ? xp_open_find(o, &c[i].out) : -1;
		if (k < 0) {
			snprintf(err, errlen, "--state: line %u.%llx has no "
				"such outcome at this crash point", c[i].region,
				(unsigned long long)c[i].off);
			return -1;
		}
		lines[i].region = c[i].region;
		lines[i].off = c[i].off;
		lines[i].content = xp_open_content(o, (size_t)k);
		lines[i].poison = c[i].out.kind == MODEL_OUT_POISON;
	}
	return 0;
}

/*
 * usc_moved -- whether the state's power failure moved the DIMM's unsafe
 * shutdown count: only a dirty shutdown, a cxl state whose Global
 * Persistent Flush failed (an open line of a cxl region not newest;
 * engine.c); adr and eadr flush on power loss (usc.h)
 */
static bool
usc_moved(struct xp_replay *r, const struct xp_openset *os,
		const struct xp_line_set *lines, size_t n)
{
	bool cxl = false;
	for (size_t k = 0; k < r->media.n; k++)
		cxl |= r->media.regions[k].domain == MODEL_DOMAIN_CXL;
	for (size_t j = 0; cxl && j < os->n; j++) {
		const struct xp_open *o = &os->v[j];
		const struct xp_region *reg = xp_media_find(&r->media,
				o->line.region);
		if (reg == NULL || reg->domain != MODEL_DOMAIN_CXL)
			continue;
		const uint8_t *got = xp_open_content(o, 0); /* LOST */
		for (size_t i = 0; i < n; i++)
			if (lines[i].region == o->line.region &&
					lines[i].off == o->line.off)
				got = lines[i].content;
		if (memcmp(got, xp_open_content(o, o->distinct[o->newest]),
				o->line_len) != 0)
			return true;
	}
	return false;
}

/* write_dimm -- DIR/.pmemu-dimm: the recording's DIMM, moved by the
 * state's power failure (usc.c); 0 or -1 (message) */
static int
write_dimm(struct xp_replay *r, const char *pmem_dir, bool moved,
		const char *dir, char *err, size_t errlen)
{
	if (pmem_dir == NULL && r->media.n == 0)
		return 0; /* no region yet: no image, no pmem dir known */
	char *from = xstrdup(pmem_dir ? pmem_dir : r->media.regions[0].media,
			"write_dimm: from");
	char *slash = pmem_dir ? NULL : strrchr(from, '/');
	if (slash != NULL)
		*slash = '\0';
	struct trace_dimm d;
	int rc = xp_usc_load(from, &d, err, errlen);
	free(from);
	if (rc == 0 && (rc = xp_usc_write(dir, &d, moved)) != 0)
		snprintf(err, errlen, "-o %s: writing %s: %s", dir,
				TRACE_DIMM_FILE, strerror(-rc));
	return rc ? -1 : 0;
}

int
xp_replay_state(const char *trace, const char *pmem_dir, const char *id,
		const char *dir, char *err, size_t errlen)
{
	uint64_t point;
	struct xp_choice *c;
	size_t n;
	if (xp_state_parse(id, &point, &c, &n) != 0) {
		snprintf(err, errlen, "--state %s: not a state id (see "
				"docs/explore.md)", id);
		return -1;
	}
	struct xp_replay r;
	struct xp_openset os = { 0 };
	struct xp_base *base = NULL;
	struct xp_slot *slot = NULL;
	struct xp_line_set *lines = xcalloc(n + 1, sizeof(*lines),
			"xp_replay_state: lines");
	int rc = -1;
	if (xp_replay_open(&r, trace, pmem_dir, err, errlen) != 0 ||
			xp_replay_to(&r, point, err, errlen) != 0)
		goto out;
	xp_openset_load(&os, r.m, MODEL_STRAT_ALL | MODEL_STRAT_POISON);
	if (state_lines(&os, c, n, lines, err, errlen) != 0)
		goto out;
	base = xp_base_new(&r.media);
	xp_base_load(base, r.m);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "-o %s: %s", dir, strerror(errno));
		goto out;
	}
	slot = xp_slot_new(base, dir, err, errlen);
	if (slot == NULL)
		goto out;
	rc = xp_slot_set(slot, lines, n);
	if (rc != 0) /* no partial image: its files go (slot not kept) */
		snprintf(err, errlen, "-o %s: writing the image: %s", dir,
				strerror(-rc));
	else if ((rc = write_dimm(&r, pmem_dir, usc_moved(&r, &os, lines, n),
			dir, err, errlen)) == 0)
		xp_slot_keep(slot);
	rc = rc ? -1 : 0;
out:
	xp_slot_delete(slot);
	xp_base_delete(base);
	xp_openset_free(&os);
	xp_replay_close(&r);
	free(lines);
	free(c);
	return rc;
}
