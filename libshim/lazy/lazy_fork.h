/* lazy_fork.h -- libpmemu-lazy.so forks the check at its first read of
 * an undecided line, one child per other outcome of the bytes read
 * (lazy_fork.c; `pmemu explore --lazy-fork`, docs/explore.md) */
#ifndef PMEMU_LAZY_FORK_H
#define PMEMU_LAZY_FORK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a spec line of the fork ("X", "P", "C": lazy_watch.c) of watched line
 * `line` (the last "L" line, SIZE_MAX before the first): true if it was
 * one */
bool lf_spec(const char *buf, size_t line)
	__attribute__((visibility("hidden")));
/* the spec's image file ("F"), in order */
void lf_file(const char *path) __attribute__((visibility("hidden")));
/* the spec loaded: the run's first process (its root) may fork */
void lf_start(const char *image) __attribute__((visibility("hidden")));
/* watched line i is read: the bytes fresh of it, known before (its "B"
 * record logged); in the root, a child per other content of those bytes,
 * each returning from here as the run with that content, then the
 * parent, the image as it was */
void lf_branch(size_t i, uint64_t known, uint64_t fresh)
	__attribute__((visibility("hidden")));

#endif
