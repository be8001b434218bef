/*
 * model_impl.h -- the model's inside, shared by its files and its tests
 *
 * Lines live in a dense array (indices are stable; wb and history entries
 * refer to lines by index) hashed by (region, line number, line_index.h).
 * Versions are counted per line from the first touch: `vcount` is the
 * newest version, `durable_v` the one the media holds (line_durable_v: in
 * the line's open_line while they differ, else vcount); the history is
 * (durable_v, vcount].
 */
#ifndef PMEMU_MODEL_IMPL_H
#define PMEMU_MODEL_IMPL_H 1

#include "model.h"
#include "line_index.h"

#define MODEL_ASSERT(x) do { if (!(x)) model_assert_fail(#x, __FILE__, \
		__LINE__); } while (0)
void model_assert_fail(const char *what, const char *file, int line)
	__attribute__((noreturn));

struct model_config {
	enum model_domain domain;
	uint32_t line_len;
	uint32_t sector_len;
	uint32_t history_max;
	bool clflush_weak;
	bool contents;
};

struct region {
	bool used;
	enum model_domain domain;
	uint32_t line_len;
	unsigned line_shift;
	uint64_t len;
};

/* one version of a line's history (content mode) */
struct version {
	uint64_t v;          /* absolute version number */
	uint8_t known;       /* its content is known */
	uint8_t tearable;    /* made by one store touching >= 2 pieces */
	uint64_t pieces;     /* 8-byte pieces of the line that store touched */
	uint8_t has_wb;      /* some write-back refers to it (never dropped) */
	uint32_t site;       /* the store that made it */
};

struct line_hist {
	uint8_t *durable;    /* line_len bytes */
	uint8_t *view;       /* tracked view */
	bool uncertain;      /* untraced stores since the last snapshot */
	uint64_t uncertain_from; /* first version added while uncertain */
	uint32_t n, cap;
	struct version *ver; /* versions after durable_v, oldest first */
	uint8_t *content;    /* cap x line_len */
};

/*
 * a touched line: 32 bytes, what every touched line needs; what only an
 * open line needs (vcount > durable_v) is in its struct open_line, and
 * content mode's history in m->hists
 */
struct line_state {
	uint64_t key;            /* region << 40 | line number */
	uint64_t vcount;         /* newest version */
	uint32_t flush_site;     /* last flush */
	uint32_t flush_tid;
	uint32_t open_pos;       /* index into m->open + 1, 0 = not open */
	uint8_t dirty;           /* stores since the last write-back */
	uint8_t dirty_untraced;  /* dirty_site is an untraced store's */
	uint8_t pad[2];
};

/* an open line's state: the line's versions after durable_v are what a
 * crash may lose; gone (all zero again) once the media holds vcount */
struct open_line {
	uint64_t durable_v;      /* version on the media */
	uint32_t li;             /* the line */
	uint32_t undurable_site; /* first store since durable */
	uint32_t dirty_site;     /* first store since the last write-back */
	uint32_t wb_head;        /* write-backs in flight, issue order */
	uint32_t stores;         /* stores to the line since it opened */
	uint32_t durable_stores; /* of which the media holds */
};

struct wb {                  /* 40 bytes: v first, no padding after line */
	uint64_t v;              /* version written back */
	uint32_t line;           /* line index */
	uint32_t site;
	uint32_t thread;         /* thread index */
	uint32_t stores;         /* the line's open_line.stores at issue */
	uint32_t next_line;      /* next wb of the line (issue order) */
	uint32_t prev_thr, next_thr;
	uint8_t strong;          /* clflush: completes at T's next event */
	uint8_t used;
};

struct thread_state {
	uint32_t tid;
	uint32_t head, tail;     /* in-flight wbs, issue order */
	uint32_t strong;         /* strong wbs among them */
};

struct finding_slot {
	uint64_t key;            /* class << 32 | site, +1; 0 = empty */
	uint64_t count;
	uint64_t lines;
	uint32_t region;
	uint64_t off;
	uint32_t related;
	bool guessed;
	uint64_t taken_count;    /* given by model_findings_take already */
	uint64_t taken_lines;
};

/* lines found past line_near, direct-mapped by line_recent_slot: a
 * transaction's lines (its log, the pool's lane, the root object) are
 * looked up again at every transaction, each at its own place */
#define MODEL_RECENT_LINES 128

struct model {
	struct model_config cfg;
	bool short_paths;        /* a STORE within one line (findings mode),
	                            a flush of one line and a fence's line
	                            with one write-back (findings mode) take
	                            their short paths (model.c); a test turns
	                            them off to compare the paths */
	model_media_read_fn media_read;
	void *media_ctx;

	struct region *regions;
	uint32_t nregions;

	struct line_state *lines;
	uint32_t nlines, lines_cap;
	struct line_index index;
	uint32_t last_line;      /* cache: index + 1 */
	uint32_t recent[MODEL_RECENT_LINES]; /* line_recent: index + 1 */
	uint32_t *line_hist;     /* content mode: per line, m->hists index + 1 */

	struct wb *wbs;          /* [0] unused */
	uint32_t nwbs, wbs_cap, wb_free;

	struct thread_state *threads;
	uint32_t nthreads, threads_cap, last_thread;

	struct open_line *open;  /* lines with versions not durable */
	uint32_t nopen, open_cap;
	uint32_t dirty_closed;   /* lines not open but dirty (content mode:
	                            an untraced store that added no version,
	                            its line closed by a fence) */
	uint32_t *pick, pick_cap; /* scratch: line_open_in's lines */

	struct line_hist *hists;
	uint32_t nhists, hists_cap;

	struct finding_slot *findings;
	uint32_t findings_mask, nfindings;

	uint64_t events;
	uint64_t history_dropped;
};

/* line_table.c */
/* line_key_hash -- a line key's index hash: slot bits low, fingerprint
 * high; an aligned block of 16 line numbers in 16 adjacent slots */
uint64_t line_key_hash(uint64_t key);
static inline uint64_t
line_key(uint32_t region, uint64_t lineno)
{
	return ((uint64_t)region << 40) | lineno;
}
/* line_near -- the last line found, or the one after it in the table
 * (lines are numbered in first-touch order, so a range walked again, a
 * flush or a settle of a page, finds its lines in a row without
 * hashing), else UINT32_MAX */
static inline uint32_t
line_near(const struct model *m, uint64_t key)
{
	uint32_t last = m->last_line; /* index + 1 */
	if (last && m->lines[last - 1].key == key)
		return last - 1;
	if (last < m->nlines && m->lines[last].key == key)
		return last;
	return UINT32_MAX;
}
uint32_t line_find_far(const struct model *m, uint64_t key);
uint32_t line_get_far(struct model *m, uint64_t key);
/* line_find -- index of a touched line, or UINT32_MAX */
static inline uint32_t
line_find(const struct model *m, uint32_t region, uint64_t lineno)
{
	uint64_t key = line_key(region, lineno);
	uint32_t li = line_near(m, key);
	if (li == UINT32_MAX)
		return line_find_far(m, key);
	((struct model *)m)->last_line = li + 1;
	return li;
}
/* line_get -- index of a line, touching it if new */
static inline uint32_t
line_get(struct model *m, uint32_t region, uint64_t lineno)
{
	uint64_t key = line_key(region, lineno);
	uint32_t li = line_near(m, key);
	if (li == UINT32_MAX)
		return line_get_far(m, key);
	m->last_line = li + 1;
	return li;
}
void line_prefetch(const struct model *m, uint32_t region, uint64_t lineno);
static inline uint32_t line_region(const struct line_state *l)
{
	return (uint32_t)(l->key >> 40);
}
static inline uint64_t line_number(const struct line_state *l)
{
	return l->key & ((1ull << 40) - 1);
}
void line_table_free(struct model *m);
/* line_open_of -- line li's open state, NULL if it is not open */
static inline struct open_line *
line_open_of(const struct model *m, uint32_t li)
{
	uint32_t pos = m->lines[li].open_pos;
	return pos ? &m->open[pos - 1] : NULL;
}
static inline uint64_t
line_durable_v(const struct model *m, uint32_t li)
{
	const struct open_line *o = line_open_of(m, li);
	return o ? o->durable_v : m->lines[li].vcount;
}
void line_open_grow(struct model *m);
/* line_open_new -- line li opens: durable_v = vcount, last in m->open
 * (inline: a store-flush-fence loop opens and closes each line) */
static inline struct open_line *
line_open_new(struct model *m, uint32_t li)
{
	struct line_state *l = &m->lines[li];
	if (m->nopen == m->open_cap)
		line_open_grow(m);
	struct open_line *o = &m->open[m->nopen++];
	o->durable_v = l->vcount;
	o->li = li;
	o->undurable_site = o->dirty_site = o->wb_head = 0;
	o->stores = o->durable_stores = 0;
	if (l->dirty)
		m->dirty_closed--;
	l->open_pos = m->nopen;
	return o;
}
/* line_open -- line li's open state, made (durable_v = vcount) if none:
 * before a new version; valid until the next line_open or line_close */
static inline struct open_line *
line_open(struct model *m, uint32_t li)
{
	uint32_t pos = m->lines[li].open_pos;
	return pos ? &m->open[pos - 1] : line_open_new(m, li);
}
/* line_new_version -- vcount + 1, the line open */
static inline uint64_t
line_new_version(struct model *m, uint32_t li)
{
	line_open(m, li);
	return ++m->lines[li].vcount;
}
/* line_close -- the last open line takes li's place in m->open (so a
 * crash point costs what is open, not what was ever touched) */
static inline void
line_close(struct model *m, uint32_t li)
{
	struct line_state *l = &m->lines[li];
	uint32_t pos = l->open_pos;
	if (pos != m->nopen) {
		m->open[pos - 1] = m->open[m->nopen - 1];
		m->lines[m->open[pos - 1].li].open_pos = pos;
	}
	m->nopen--;
	l->open_pos = 0;
	if (l->dirty)
		m->dirty_closed++;
}
/* line_open_in -- the open lines of region numbered [first, last] into
 * m->pick, in the order for_each_touched visits them (by number when the
 * range has fewer lines than the table, else by index); their count */
uint32_t line_open_in(struct model *m, uint32_t region, uint64_t first,
		uint64_t last);
/* line_open_update -- drop the open state once the media holds vcount */
static inline void
line_open_update(struct model *m, uint32_t li)
{
	const struct open_line *o = line_open_of(m, li);
	if (o && o->durable_v == m->lines[li].vcount)
		line_close(m, li);
}

/* history.c (content mode) */
struct line_hist *hist_of(struct model *m, uint32_t li);
const struct line_hist *hist_of_const(const struct model *m, uint32_t li);
void hist_store(struct model *m, uint32_t li, uint32_t off, uint32_t len,
		uint32_t site,
		const uint8_t *data, bool tearable_kind);
void hist_untraced(struct model *m, uint32_t li, uint32_t site);
void hist_snapshot(struct model *m, uint32_t li, const uint8_t *data);
void hist_durable(struct model *m, uint32_t li, uint64_t v);
void hist_free(struct model *m);
uint64_t hist_bytes(const struct model *m);
const uint8_t *hist_content(const struct model *m, uint32_t li, uint64_t v,
		bool *known);
void hist_mark_wb(struct model *m, uint32_t li, uint64_t v);

/* findings.c */
struct finding_slot *finding_add(struct model *m,
		enum model_finding_class c, uint32_t site, bool guessed,
		uint64_t count, uint64_t lines, uint32_t region, uint64_t off);
void findings_free(struct model *m);

/* model.c */
/* the index of thread tid's state, made if new */
uint32_t model_thread(struct model *m, uint32_t tid);
/* model_line_settle -- the media holds version v of line li (stores:
 * its open_line's count then): the write-backs it supersedes go, and the
 * line closes when v is its newest */
void model_line_settle(struct model *m, uint32_t li, uint64_t v,
		uint32_t stores);
/* model_line_write_back -- thread index ti flushes line li (ev: the
 * flush, its site and tid); whether the line was dirty */
bool model_line_write_back(struct model *m, uint32_t li, uint32_t ti,
		const struct model_event *ev, bool strong);
/* thread index ti's fence: its write-backs settle */
void model_thread_fence(struct model *m, uint32_t ti);

/* persist_run.c: a fence of tid of this kind may end a walk (its
 * persist_run or line_persists): one that takes no other path, and no
 * clflush of the thread pending (its first event would complete it) */
bool model_fence_walkable(struct model *m, enum model_ev fence, uint32_t tid);

/* model_ranges.c: the events over a range of lines (model.c's apply) */
int model_sync(struct model *m, uint32_t region, const struct region *r,
		const struct model_event *ev);
void model_set_clean(struct model *m, uint32_t region, const struct region *r,
		uint64_t off, uint64_t len);
int model_shutdown(struct model *m, const struct model_event *ev);

typedef bool (*line_fn)(struct model *m, uint32_t li, void *arg);

/* for_each_touched -- fn on every touched line of [off, off+len) of a
 * region, by range or by table, whichever is shorter */
static inline __attribute__((always_inline)) bool
for_each_touched(struct model *m, uint32_t region, const struct region *r,
		uint64_t off, uint64_t len, line_fn fn, void *arg)
{
	bool any = false;
	if (len == 0)
		return false;
	uint64_t first = off >> r->line_shift;
	uint64_t last = (off + len - 1) >> r->line_shift;
	if (last - first < m->nlines) {
		for (uint64_t n = first; n <= last; n++) {
			uint32_t li = line_find(m, region, n);
			if (li != UINT32_MAX)
				any |= fn(m, li, arg);
		}
		return any;
	}
	for (uint32_t li = 0; li < m->nlines; li++) {
		struct line_state *l = &m->lines[li];
		if (line_region(l) == region && line_number(l) >= first &&
				line_number(l) <= last)
			any |= fn(m, li, arg);
	}
	return any;
}

static inline const struct region *
model_region(const struct model *m, uint32_t id)
{
	if (id >= m->nregions || !m->regions[id].used)
		return NULL;
	return &m->regions[id];
}

#endif
