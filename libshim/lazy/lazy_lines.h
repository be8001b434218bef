/* lazy_lines.h -- the watched lines of the image and what the check knows
 * of each (lazy_lines.c), for lazy_watch.c's faults and protection */
#ifndef PMEMU_LAZY_LINES_H
#define PMEMU_LAZY_LINES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_line {
	uint32_t file;
	uint64_t off;
	uint32_t len;
	uint64_t known; /* bytes an earlier run read: pmemu decided them */
	unsigned branches; /* the runs a read of the rest would start (the
			    * spec's count, capped; 1 when it gives none) */
};

/* libc's write, once (the constructor: not per served child) */
void lw_lines_resolve(void) __attribute__((visibility("hidden")));
/* a line of the spec (in order: sorted by file and offset) */
void lw_line_add(const struct lw_line *l) __attribute__((visibility("hidden")));
/* every line added: the state of each, records to log_fd; 0, or -1 (no
 * line is watched) */
int lw_lines_ready(int log_fd) __attribute__((visibility("hidden")));
size_t lw_lines_count(void) __attribute__((visibility("hidden")));
const struct lw_line *lw_line_at(size_t i)
	__attribute__((visibility("hidden")));
/* line i still has bytes the check neither read nor stored */
bool lw_line_watched(size_t i) __attribute__((visibility("hidden")));
/* the branches of the lines of [off, end) of file still watched: what
 * deciding them whole could cost in runs (lazy_step.c's hot pages) */
unsigned long lw_lines_branches(uint32_t file, uint64_t off, uint64_t end)
	__attribute__((visibility("hidden")));
/* the first line of file ending after off */
size_t lw_first_line(uint32_t file, uint64_t off)
	__attribute__((visibility("hidden")));
/* an instruction's access to [a, b) of file through a mapping (shared:
 * its stores reach the file): a read reveals the bytes it reads; a store
 * through a shared mapping adds to the bytes stored, and a line whose
 * every byte is read or stored is no longer watched ("O" once the
 * instruction is done: lw_overwritten); any other store reveals the line
 * whole */
void lw_touch(uint32_t file, bool shared, uint64_t a, uint64_t b, bool store,
		uintptr_t pc) __attribute__((visibility("hidden")));
/* after a stepped instruction: the "O" records of the lines of [a, b)
 * of file it stored whole */
void lw_overwritten(uint32_t file, uint64_t a, uint64_t b)
	__attribute__((visibility("hidden")));

/* bytes of line i this process stored through a shared mapping */
uint64_t lw_line_written(size_t i) __attribute__((visibility("hidden")));
/* the process stored into an image file through a file call */
bool lw_file_stored(void) __attribute__((visibility("hidden")));
/* one record to the read log (write(2) only) */
void lw_log_record(const char *s, size_t n)
	__attribute__((visibility("hidden")));
/* in a child forked at a read (lazy_fork.c): its first touch of each
 * line is logged again ("L"), as in a run of its own */
void lw_lines_forked(void) __attribute__((visibility("hidden")));

#endif
