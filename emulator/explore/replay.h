/*
 * replay.h -- the trace through the model, record by record; the sites it
 * collects; the image of one state (replay.c, replay_state.c)
 */
#ifndef PMEMU_XP_REPLAY_H
#define PMEMU_XP_REPLAY_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "explore_common.h"
#include "linemap.h"
#include "media.h"
#include "model.h"
#include "trace.h"

/* ---- sites (replay.c collects them from SITE/MODULE/SITE_SRC) ---- */
struct xp_frame {
	char *function, *file, *module;
	int line;               /* 0 unknown */
	uint64_t offset;        /* module offset */
	bool has_offset;
};
struct xp_site {
	uint32_t id;
	size_t nframes;
	struct xp_frame *frames;
};
void xp_site_free(struct xp_site *s);
void xp_site_copy(struct xp_site *dst, const struct xp_site *src);

/* ---- replay.c: the trace through the model ---- */
#define XP_TX_LATE_MAX 8 /* stores before their TX_ADD kept for a report */
#define XP_UNTRACED_SITES 32 /* sites of untraced stores kept (modules) */
struct xp_replay {
	struct trace_reader *rd;
	struct model *m;
	struct xp_media media;
	uint64_t applied;       /* records applied: the crash point number */
	struct trace_rec next;
	int have_next;          /* 1 next is valid, 0 end of trace */
	bool truncated;
	/* lines a flush/store touched since xp_replay_take_touched() */
	struct xp_linemap *touched;
	char **markers;         /* names of the MARKER records applied */
	size_t nmarkers, markers_cap;
	char **notes;           /* NOTE records, and our own */
	size_t nnotes;
	/* site id -> frames (raw), module id -> path */
	struct xp_site *sites;
	size_t nsites;
	char **modules;
	size_t nmodules;
	bool untraced;          /* the trace has untraced stores */
	uint32_t untraced_sites[XP_UNTRACED_SITES]; /* distinct, first seen */
	size_t nuntraced_sites;
	void *sym;              /* struct symbolizer (report/), or NULL */
	/* FINDING records of stores made before their TX_ADD (the shim's
	 * verdict at exit): what a failure with no lost line may come from */
	struct model_finding tx_late[XP_TX_LATE_MAX];
	size_t ntx_late;
};
/* opens the trace and a content-mode model; 0 or -1 (message in err) */
int xp_replay_open(struct xp_replay *r, const char *trace_path,
		const char *pmem_dir, char *err, size_t errlen);
void xp_replay_close(struct xp_replay *r);
/* applies records until `applied` == point; 0 or -1 (message) */
int xp_replay_to(struct xp_replay *r, uint64_t point, char *err,
		size_t errlen);
/* the site of a site id (NULL frames if unknown) */
const struct xp_site *xp_replay_site(const struct xp_replay *r,
		uint32_t id);
/* frames of a site resolved to function, file:line; false if unknown */
bool xp_replay_resolve(const struct xp_replay *r, uint32_t id,
		struct xp_site *out);
/* "a,b,c" of the markers applied so far; caller frees */
char *xp_replay_markers(const struct xp_replay *r);
void xp_replay_note(struct xp_replay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- images (replay) ---- */
/* writes the image of state id into dir (created); 0 or -1 (message) */
int xp_replay_state(const char *trace, const char *pmem_dir,
		const char *id, const char *dir, char *err, size_t errlen);

#endif
