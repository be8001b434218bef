/*
 * lazy_impl.h -- what lazy.c (the runs of a crash point) and lazy_spec.c
 * (the files a run's check reads and writes beside its image) share
 */
#ifndef PMEMU_XP_LAZY_IMPL_H
#define PMEMU_XP_LAZY_IMPL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine_impl.h"

struct lazy_block;

struct lazy_node {
	uint32_t *pick;          /* per open line: its outcome, 0 lost */
	uint64_t *known;         /* per open line: the bytes an earlier run
				  * read (pick is one outcome with the
				  * content they branched on); 0: undecided */
	struct xp_result res;
	char *output;
	struct xp_hash key;      /* its image and undecided lines */
	struct lazy_block *fork; /* its run, forked by its parent's
				  * (lazy_fork.c), or NULL */
};

/* a run the check forked at a read (lazy_fork.c): a block of the read
 * log */
struct lazy_block {
	size_t read;             /* the read of the run it branched at */
	size_t line;             /* the open line read */
	uint32_t d;              /* its content: distinct[d] */
	uint64_t known, fresh;   /* the bytes known before, read */
	bool usable;             /* well formed, and not a failure where
				  * only a PASS is taken */
	bool served;             /* its root ran in the fork server */
	struct xp_result res;
	char *out;               /* its output file, NULL: none (a PASS) */
	char *text;              /* its records */
	char *dir;               /* the image directory of the run */
	size_t *watch, nw;       /* the run's spec: watched index -> line */
};

/* how to read a read log's records: the spec of the run that wrote them */
struct lazy_parse {
	const size_t *watch;     /* watched index -> open line */
	size_t nw;
	const char *dir;         /* the image directory */
	bool served;             /* the root ran in the fork server */
};

/* a run made before: the same image with the same undecided lines reads
 * the same lines in the same order (a deterministic check) */
struct lazy_known {
	struct xp_result res;
	char *output;
	struct xp_choice *read;  /* the lines it read, in order */
	uint64_t *bytes;         /* the bytes of each read */
	char **how;              /* how it touched each (lazy_xread.c) */
	size_t nread;
	bool imported;           /* a worker's run (lazy_pool.c), not
				  * used yet: its first use counts as a run */
};

/* a slot's side files, open in pmemu from its first run to the end */
struct xp_lazy_side {
	int spec_fd, log_fd;     /* -1: not open yet */
	off_t log_from;          /* where its run's records start in the
				  * read log */
	char *spec;              /* the spec as written last; its length */
	size_t spec_len, spec_cap;
	bool spec_ok;            /* the file holds spec (else rewritten) */
};

struct xp_lazy {
	struct lazy_node *node;
	size_t n, cap, started;
	size_t *slot_node;       /* per slot: its running node, SIZE_MAX */
	struct xp_lazy_side *side; /* per slot: its spec and read log
				  * (lazy_spec.c) */
	size_t busy;
	size_t *order;           /* scratch: a run's reads: the line */
	uint64_t *bytes;         /* ... the bytes read (lazy_line_full) */
	char **how;              /* ... how it touched the line */
	size_t order_cap, bytes_cap, how_cap;
	struct xp_xread *xr;
	char *unseen;            /* why the current point cannot be lazy */
	uint64_t runs, eager_points, budget_points, not_run;
	uint64_t most_runs, most_runs_point, known_runs;
	struct xp_linemap *known_by_key;
	struct lazy_known *known;
	size_t nknown, capknown;
	char *first_unseen;
	struct lazy_block **blocks; /* scratch: the blocks of a run's log */
	size_t nblocks, blocks_cap;
};

/* text growing (the spec a run reads) */
struct xp_lazy_text {
	char *buf;
	size_t len, cap;
};
/* printf at the end of t */
void xp_lazy_put(struct xp_lazy_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* the path of a side file (what: "spec", "log", "wait") of slot's image */
void xp_lazy_side_path(struct engine *e, size_t slot, const char *what,
		char *buf, size_t len);
/* slots' side files closed and removed */
void xp_lazy_side_delete(struct engine *e);
/* how the j-th read line was touched: "R module+0x.." (lz->how[j]) */
void xp_lazy_set_how(struct xp_lazy *lz, size_t j, const char *how);
/* the spec of node d's run in slot (its image files, its undecided
 * lines) and an empty read log; 0 or -errno */
int xp_lazy_write_spec(struct engine *e, size_t slot,
		const struct lazy_node *d);
/* the reads of open lines of the run in slot, in order: the line in
 * lz->order, the bytes not known before in lz->bytes, how in lz->how;
 * their count. A "U" record (a read pmemu cannot see) sets lz->unseen. */
size_t xp_lazy_read_log(struct engine *e, size_t slot,
		const struct lazy_node *d, bool served);
/* the same of records in text (nul-terminated; its lines are cut in
 * place): blocks ("[" .. "]") to lz->blocks (xp_lazy_block_add) */
size_t xp_lazy_parse_log(struct engine *e, char *text,
		const struct lazy_parse *ps, const struct lazy_node *d);

/* lazy_fork.c: the spec's "X" line (and the wait file removed); nothing
 * with --lazy-fork off */
void xp_lazy_fork_spec(struct engine *e, size_t slot, struct xp_lazy_text *t);
/* lazy_fork.c: the spec's contents of watched open line i ("P", "C") */
void xp_lazy_fork_line(struct engine *e, struct xp_lazy_text *t, size_t i,
		const struct lazy_node *d);
/* lazy_fork.c: the block whose "[" line is at begin, after the run's
 * nread-th read, to lz->blocks; where the records after it start, or NULL
 * (the run ended inside it) */
char *xp_lazy_block_add(struct engine *e, char *begin,
		size_t nread, const struct lazy_parse *ps);
/* lazy_fork.c: the usable block of read j, line, content distinct[d],
 * known and fresh bytes, taken out of lz->blocks; or NULL */
struct lazy_block *xp_lazy_block_take(struct engine *e, size_t j,
		size_t line, uint32_t d, uint64_t known, uint64_t fresh);
/* lazy_fork.c: block b as node d's run: its reads (as
 * xp_lazy_read_log), its output when it failed (*output, else NULL);
 * frees b */
size_t xp_lazy_block_run(struct engine *e, struct lazy_block *b,
		const struct lazy_node *d, char **output);
void xp_lazy_block_free(struct lazy_block *b);
/* the blocks of lz->blocks no node took */
void xp_lazy_blocks_clear(struct xp_lazy *lz);

/* lazy_known.c: the known run with this key, or NULL */
struct lazy_known *xp_lazy_find_known(struct xp_lazy *lz, struct xp_hash key);
/* lazy_known.c: a zeroed known run for key (from_known finds it from now
 * on) */
struct lazy_known *xp_lazy_new_known(struct xp_lazy *lz, struct xp_hash key);
void xp_lazy_free_known(struct lazy_known *kn);
/* lazy_known.c: node k's run (nread reads in lz->order, bytes, how) as
 * known by its key; a worker also sends it to its parent */
void xp_lazy_remember(struct engine *e, size_t k, size_t nread);
/* lazy_pool.c: a worker sends a run it made (kn) with its key */
void xp_lazy_export_run(struct engine *e, struct xp_hash key,
		const struct lazy_known *kn);

/* distinct content k of open line ctx (struct xp_open): the contents
 * lw_is_branch (libshim/lazy/lazy_branch.h) weighs */
const uint8_t *xp_lazy_open_content(const void *ctx, size_t k);

/* the byte mask of open line i whole: a line over 64 bytes is never
 * split (all ones) */
static inline uint64_t
xp_lazy_line_full(const struct engine *e, size_t i)
{
	uint32_t len = e->open.v[i].line_len;
	return len >= 64 ? ~0ull : (1ull << len) - 1;
}

#endif
