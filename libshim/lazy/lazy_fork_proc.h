/* lazy_fork_proc.h -- what a child forked at a read (lazy_fork.c) must own
 * and its parent get back (lazy_fork_proc.c): the image files, the
 * descriptors and flocks on them, the output, PMEMU_STATE, and the
 * lazy-wait file (lazy_wait.h) */
#ifndef PMEMU_LAZY_FORK_PROC_H
#define PMEMU_LAZY_FORK_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lazy_wait.h"

#define LF_FILES_MAX 64
#define LF_FDS 64           /* descriptors whose position is put back */

/* the run's image files (the spec's "F" lines) */
struct lf_files {
	char *path[LF_FILES_MAX];
	int fd[LF_FILES_MAX];  /* ours, O_RDWR */
	size_t nfiles;
	char image[4096];      /* PMEMU_IMAGE */
	int wait_fd;           /* <image>.lazy-wait */
	dev_t dev[LF_FILES_MAX + 1]; /* what fd (and wait_fd, last) */
	ino_t ino[LF_FILES_MAX + 1]; /* are open on */
};
extern struct lf_files lfp __attribute__((visibility("hidden")));

#define LF_RANGES 256    /* data ranges of the image files copied */

/* a copy of the image files: their data ranges (SEEK_DATA), the rest
 * holes */
struct lf_range {
	size_t file;
	off_t a, b;
};
struct lf_snap {
	uint8_t *mem;          /* the ranges' bytes, in order */
	size_t len;
	off_t size[LF_FILES_MAX];
	struct lf_range r[LF_RANGES];
	size_t nr;
};

/* an image file's descriptor of the check (its open file description is
 * the parent's too: its flock, its position) */
struct lf_fd {
	int fd;
	int lock;           /* LOCK_EX, LOCK_SH: its flock, 0 none */
	long file;
};

/* the whole of a pread (write: pwrite) of fd, raw (our hooks would
 * decide the lines it covers); 0 or -1 */
int lf_io(bool write, int fd, void *buf, size_t len, off_t off)
	__attribute__((visibility("hidden")));
/* s: a copy of the image files (0), or -1; lf_snap_free ends it (in a
 * child forked with it: child) */
int lf_snapshot(struct lf_snap *s) __attribute__((visibility("hidden")));
void lf_snap_free(struct lf_snap *s, bool child)
	__attribute__((visibility("hidden")));
/* the image files as in s: their length, each page changed */
void lf_restore(const struct lf_snap *s) __attribute__((visibility("hidden")));
/* the child's stdout and stderr to <image>.lazy-out-<pid>, holding what
 * the run printed so far */
void lf_own_output(void) __attribute__((visibility("hidden")));
/* the check's descriptors of image files and their flocks, into v (at
 * most LF_FDS); their count */
size_t lf_image_fds(struct lf_fd *v) __attribute__((visibility("hidden")));
/* the child's image descriptors on open file descriptions of its own,
 * as the parent's were (position, flags, flock); -1: it cannot */
int lf_own_fds(const struct lf_fd *v, size_t n)
	__attribute__((visibility("hidden")));
/* the parent's flocks off (lock false) or back on */
void lf_lock_fds(const struct lf_fd *v, size_t n, bool lock)
	__attribute__((visibility("hidden")));
/* PMEMU_STATE of the run with part ("<region>.<off>=<outcome>", "=-"
 * lost) of its id for its line */
void lf_own_state(const char *part) __attribute__((visibility("hidden")));
/* the wait file: created by the run's root (0), or -1 (not the root) */
int lf_wait_create(void) __attribute__((visibility("hidden")));
/* the image files opened (ours); 0 or -1 */
int lf_open_files(void) __attribute__((visibility("hidden")));
/* our descriptors are still on our files (the check may have closed
 * them, and opened others under their numbers) */
bool lf_fds_ours(void) __attribute__((visibility("hidden")));
struct lw_wait_level lf_wait_level(unsigned d)
	__attribute__((visibility("hidden")));
void lf_wait_set(unsigned d, const struct lw_wait_level *l)
	__attribute__((visibility("hidden")));
/* the children forked in the run so far; add: one more */
uint64_t lf_wait_forks(bool add) __attribute__((visibility("hidden")));

#endif
