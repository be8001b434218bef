/*
 * shim_region.h -- emulated files (regions) and the program's mappings of
 * them (views)
 *
 * A region is one file under the pmem dir: its media is the real file, its
 * view a shadow file the shim owns and the program maps instead. Lookups
 * are async-signal-safe and lock-free for readers (the SIGSEGV handler and
 * the hot paths call them).
 *
 * The program never holds a descriptor of the media: opening an emulated
 * file returns a descriptor of the view, so read/write/lseek/fstat/mmap see
 * what loads see (MODEL.md: the view), and the shim writes the media only
 * with what the model made durable.
 */
#ifndef PMEMU_SHIM_REGION_H
#define PMEMU_SHIM_REGION_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "model.h"
#include "shim_populate.h"

struct shim_region {
	uint32_t id;               /* model region id, stable in a run */
	enum model_domain domain;  /* adr/eadr (DAX) or pagecache */
	uint32_t line_len;
	uint64_t len;              /* file size */
	int media_fd;              /* the real file (O_RDWR) */
	int view_fd;               /* the shadow the program maps */
	char path[4096];           /* absolute path of the media */
	/* private to shim_region.c / shim_view.c */
	dev_t media_dev;
	ino_t media_ino;
	uint8_t *media_map;        /* shared mapping of the media: durable
	                              lines are copied there */
	size_t media_map_len;
	struct shim_populate media_ahead; /* its first writes, in batches
	                              (lock held) */
	uint8_t *unsynced;         /* bit per page: view newer than media */
	uint8_t *based;            /* bit per page: its original content is
	                              in the trace (TRACE_REC_BASE) */
	uint32_t nmappings;        /* live mappings of it (lock held) */
	bool room_noted;           /* the view was said to outgrow its room */
};

/* x rounded down to a multiple of r's line (a power of two, 64..4096:
 * model_config.c): a mask, not a 64-bit division (the flush path's
 * divisions were ~2 % of a raw clwb loop's profile) */
static inline uint64_t
shim_line_floor(const struct shim_region *r, uint64_t x)
{
	return x & ~(uint64_t)(r->line_len - 1);
}

/* the lines x bytes make, x a line offset: a shift, not a division */
static inline uint64_t
shim_line_count(const struct shim_region *r, uint64_t x)
{
	return x >> __builtin_ctz(r->line_len);
}

/* page states of a tracked mapping (shim_dirty.c) */
enum shim_page_state {
	SHIM_PAGE_CLEAN = 0,       /* read-only, view == twin-to-be */
	SHIM_PAGE_BUSY = 1,        /* being (un)protected: wait */
	SHIM_PAGE_DIRTY = 2,       /* writable, twin holds the old content */
	SHIM_PAGE_GONE = 3,        /* unmapped by a partial munmap */
	SHIM_PAGE_WATCHED = 4,     /* read-only after one stepped store
	                              (or one the fault handler ran), twin
	                              holds the old content */
};

/* a page in state s has a twin: its content at the last snapshot */
static inline bool
shim_page_has_twin(uint8_t s)
{
	return s == SHIM_PAGE_DIRTY || s == SHIM_PAGE_WATCHED;
}

struct shim_mapping {
	uintptr_t base;            /* program address of the view mapping */
	size_t len;
	uint64_t file_off;         /* offset of base in the region */
	struct shim_region *region;
	int prot;                  /* what the program asked for (mmap;
	                              its mprotect: page_prog) */
	bool fd_read_only;         /* its descriptor was opened read-only:
	                              never writable (mprotect: EACCES) */
	bool part_gone;            /* a munmap took some of its pages
	                              (SHIM_PAGE_GONE) */
	/* private to shim_dirty.c: page protection tracking */
	bool tracked;              /* writable by the program: pages start RO */
	uint8_t *page_state;       /* enum shim_page_state, atomic access */
	uint32_t *page_site;       /* site of the first write fault */
	uint64_t *page_lines;      /* bit per line of the page: a write
	                              fault named its store, until a diff
	                              emits it (shim_line_site.c) */
	uint8_t *page_step;        /* faults since the page was opened, and
	                              SHIM_STEP_ON: protect it again after
	                              the faulting store (shim_dirty_fault.c) */
	uint32_t *line_site;       /* per line: the last store site known
	                              for its bytes, 0 = none */
	uint8_t *twin_area;        /* content at the last snapshot of a
	                              page without a pool slot, at pg * 4096;
	                              read it through shim_dirty_twin() only
	                              (shim_dirty_twin.c) */
	uint8_t *page_heat;        /* faults in a row (low bits), changed
	                              since the last fence (SHIM_HEAT_TOUCHED) */
	uint32_t *page_cooled;     /* the fence (settle epoch) at which the
	                              page last cooled down; while it is
	                              open, at which it was opened */
	uint32_t *page_twin;       /* per page: its twin's slot in the pool
	                              + 1, 0: at twin (shim_dirty_twin.c) */
	size_t twins_pooled;       /* page_twin slots held, atomic */
	uint8_t *alias;            /* the same view pages, always writable
	                              (shared): where the write-fault
	                              handler writes a store it runs, the
	                              page left read-only; NULL: none
	                              (shim_dirty_tables.c) */
	uint8_t *page_vma;         /* per even page: 1 when marked to be a
	                              VMA of its own (shim_dirty_vma.c) */
	uint8_t *page_prog;        /* per page: the program's own protection
	                              (its mprotect: shim_prog_prot.c); NULL
	                              until its first, m->prot for all */
	struct shim_populate view_ahead; /* a sequential writer's next
	                              pages mapped ahead (lock held) */
};

/* the first byte, in m, of the 64-byte piece of its file that holds a:
 * the line of a region whose line_len is 64 (the store log's flushes,
 * shim_events.c and shim_window.c) */
static inline uintptr_t
shim_mapping_line64(const struct shim_mapping *m, uintptr_t a)
{
	return a - ((m->file_off + (a - m->base)) & 63);
}

/* the mapping holding addr, or NULL (async-signal-safe) */
const struct shim_mapping *shim_mapping_lookup(const void *addr);
/* the configured default domain (--domain / PMEMU_DOMAIN) */
enum model_domain shim_domain(void);
/* true if path (as the program passed it) is under the pmem dir */
bool shim_path_is_pmem(const char *path);

/* the region of a program descriptor, or NULL */
struct shim_region *shim_fd_region(int fd);
/* that descriptor was opened O_SYNC or O_DSYNC: a write through it is
 * durable when it returns */
bool shim_fd_dsync(int fd);

/* the absolute path of (dirfd, path) in abs (PATH_MAX); true when it is
 * under the pmem dir */
bool shim_path_resolve(int dirfd, const char *path, char *abs);

/* internal: the region table and the mapping table */
void shim_fd_set(int fd, struct shim_region *r);
struct shim_region *shim_region_of_path(const char *abs, int flags,
		mode_t mode);
/* a region whose media is the open file media_fd (no path of its own:
 * pmemu_register_pmem), named path in reports; lock held */
struct shim_region *shim_region_of_fd(int media_fd, const char *path);
/* an image that joined a trace (shim_join.c): new region ids start at
 * base; a file an earlier image named keeps the id it had there */
void shim_region_set_base(uint32_t base);
void shim_region_known(uint32_t id, const char *path);
/* the path of region id: this image's, or the one the trace gives it;
 * NULL when neither names it */
const char *shim_region_known_path(uint32_t id);
/* the pmem dir, its symbolic links resolved ("" when none) */
const char *shim_pmem_dir(void);
/* the path (abs, PATH_MAX) of the region whose view (view), else media,
 * is the file st names; false when none */
bool shim_region_path_of_inode(const struct stat *st, bool view,
		char *abs);
/* the path under the pmem dir (abs, PATH_MAX) of the file st names: a
 * hard link to a pmem file from outside the dir; false when none */
bool shim_pmem_path_of_inode(const struct stat *st, char *abs);
/* a rename put an emulated file at path: its region follows */
void shim_region_renamed(const char *path);
/* calls fn for every live mapping (lock held) */
void shim_mapping_for_each(void (*fn)(struct shim_mapping *m, void *ctx),
		void *ctx);
/* calls fn for every region (lock held) */
void shim_region_for_each(void (*fn)(struct shim_region *r, void *ctx),
		void *ctx);
struct shim_mapping *shim_mapping_add(uintptr_t base, size_t len,
		uint64_t file_off, struct shim_region *r, int prot);
void shim_mapping_remove(struct shim_mapping *m);
/* mappings were added or removed (lock held): tells the listener */
void shim_mappings_changed(void);
void shim_mappings_set_listener(void (*fn)(void));
/* what sets up and releases a mapping's dirty-page tracking (main.c) */
void shim_mappings_set_tracking(int (*setup)(struct shim_mapping *m),
		void (*release)(struct shim_mapping *m));

#endif
